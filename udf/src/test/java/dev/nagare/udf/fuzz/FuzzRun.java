package dev.nagare.udf.fuzz;

import dev.nagare.udf.decode.DecodeException;
import dev.nagare.udf.decode.DecodedRecord;
import dev.nagare.udf.decode.RawLogEvent;
import dev.nagare.udf.decode.RecordDecoder;
import dev.nagare.udf.functions.AlertIdFunction;
import dev.nagare.udf.functions.RedactFunction;
import dev.nagare.udf.functions.SqlTablesFunction;
import dev.nagare.udf.functions.SqlVerbFunction;
import dev.nagare.udf.parse.EventParser;
import dev.nagare.udf.parse.FireLensParser;
import dev.nagare.udf.parse.NormalizedEvent;
import dev.nagare.udf.parse.ParseException;
import dev.nagare.udf.redact.Redactor;
import dev.nagare.udf.sql.SqlStatements;

import java.time.LocalDateTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * One fuzz run: {@code inputs} generated records (see {@link FuzzInputs}), each decoded as the job
 * decodes a Kinesis record, each event parsed, and each message (and parsed statement) put
 * through every SQL function and the redactor. A {@link DecodeException} or {@link ParseException}
 * is an expected outcome (a dead letter); anything else that escapes, an Error included, is a bug
 * and is counted with its kind and a sample. Single-threaded and deterministic in its inputs: input
 * {@code i} of seed {@code s} is the same in every run.
 */
public final class FuzzRun {
    /** When the job read the records: 2027-01-15, after every sane time the inputs carry. */
    static final long INGEST_MILLIS = 1_800_000_000_000L;
    private static final LocalDateTime WINDOW = LocalDateTime.of(2027, 1, 15, 8, 0);

    private final long seed;
    private final FuzzInputs inputs = new FuzzInputs();
    private final RecordDecoder decoder = new RecordDecoder();
    private final EventParser parser = new EventParser();
    private final SqlVerbFunction sqlVerb = new SqlVerbFunction();
    private final SqlTablesFunction sqlTables = new SqlTablesFunction();
    private final RedactFunction redact = new RedactFunction();
    private final AlertIdFunction alertId = new AlertIdFunction();
    private final Result result = new Result();
    /** What the input under test is going through, for the report of a throwable. */
    private String stage;

    private FuzzRun(long seed) {
        this.seed = seed;
    }

    /** Runs {@code inputs} inputs of seed {@code seed}. */
    public static Result run(long inputs, long seed) {
        return new FuzzRun(seed).execute(inputs);
    }

    private Result execute(long count) {
        result.seed = seed;
        for (FuzzInputs.Generator g : inputs.generators()) {
            result.generators.put(g.name, new GeneratorStats());
        }
        // The first inputs run before the JIT compiles anything: not counted for the slowest.
        long warmUp = Math.min(2_000, count / 10);
        long start = System.nanoTime();
        for (long i = 0; i < count; i++) {
            Random random = new Random(seed * 0x9E3779B97F4A7C15L + i);
            FuzzInputs.Generator generator = inputs.pick(i, random);
            GeneratorStats stats = result.generators.get(generator.name);
            byte[] input;
            try {
                input = generator.kind.generate(random);
            } catch (Exception | StackOverflowError e) {
                // A bug of the fuzz itself, not of the code under test: counted apart.
                result.generatorErrors++;
                result.generatorErrorSample = "input #" + i + " (" + generator.name + "): " + abbreviate(String.valueOf(e));
                continue;
            }
            result.inputs++;
            stats.inputs++;
            stats.bytes += input.length;
            long t0 = System.nanoTime();
            try {
                runOne(input);
            } catch (Throwable t) {
                escaped(t, i, generator.name, input.length);
                stats.escaped++;
            }
            long elapsed = System.nanoTime() - t0;
            stats.nanos += elapsed;
            double msPerMb = (double) elapsed / Math.max(input.length, 1024) * 1024 * 1024 / 1e6;
            if (i < warmUp) {
                continue;
            }
            if (msPerMb > stats.slowestMsPerMb) {
                stats.slowestMsPerMb = msPerMb;
            }
            if (msPerMb > result.slowestMsPerMb) {
                result.slowestMsPerMb = msPerMb;
                result.slowestGenerator = generator.name;
                result.slowestSize = input.length;
                result.slowestNanos = elapsed;
                result.slowestIndex = i;
            }
        }
        result.totalNanos = System.nanoTime() - start;
        return result;
    }

    /** What the job does with one Kinesis record, plus every SQL function on what it holds. */
    private void runOne(byte[] input) {
        stage = "decode";
        DecodedRecord record;
        try {
            record = decoder.decode(input);
        } catch (DecodeException e) {
            result.decodeErrors++;
            return;
        }
        for (RawLogEvent event : record.events()) {
            result.events++;
            String message = event.message();
            if (event.envelope() == RawLogEvent.Envelope.NONE) {
                stage = "FireLensParser.partialChunk";
                FireLensParser.partialChunk(message);
            }
            stage = "EventParser.parse";
            try {
                NormalizedEvent parsed = parser.parse(event, INGEST_MILLIS);
                result.parsed++;
                if (parsed.dbQuery != null) {
                    functions(parsed.dbQuery);
                }
            } catch (ParseException e) {
                result.parseErrors++;
            }
            functions(message);
        }
    }

    private void functions(String text) {
        stage = "SqlVerbFunction.eval";
        sqlVerb.eval(text);
        stage = "SqlTablesFunction.eval";
        sqlTables.eval(text);
        stage = "RedactFunction.eval";
        redact.eval(text);
        stage = "AlertIdFunction.eval";
        alertId.eval("fuzz_rule", text, WINDOW);
        // The functions answer null for what throws inside; the calls below show it.
        stage = "Redactor.redact";
        Redactor.redact(text);
        stage = "SqlStatements.verb";
        SqlStatements.verb(text);
        stage = "SqlStatements.tables";
        SqlStatements.tables(text);
    }

    private void escaped(Throwable t, long index, String generator, int size) {
        result.escaped++;
        String kind = stage + ": " + t.getClass().getName();
        result.escapedKinds.merge(kind, 1L, Long::sum);
        result.escapedSamples.putIfAbsent(kind,
                "input #" + index + " (" + generator + ", " + size + " bytes): " + abbreviate(String.valueOf(t.getMessage())));
    }

    private static String abbreviate(String s) {
        String oneLine = s.replace('\n', ' ');
        return oneLine.length() <= 160 ? oneLine : oneLine.substring(0, 160) + "...";
    }

    /** Per generator: inputs, bytes, escaped throwables, the slowest input per MB. */
    public static final class GeneratorStats {
        public long inputs;
        public long bytes;
        public long escaped;
        public long nanos;
        public double slowestMsPerMb;
    }

    /** The counts of a run and its report. */
    public static final class Result {
        public long seed;
        public long inputs;
        public long events;
        public long parsed;
        public long decodeErrors;
        public long parseErrors;
        public long escaped;
        public final Map<String, Long> escapedKinds = new TreeMap<>();
        public final Map<String, String> escapedSamples = new TreeMap<>();
        public long generatorErrors;
        public String generatorErrorSample;
        public final Map<String, GeneratorStats> generators = new LinkedHashMap<>();
        public double slowestMsPerMb;
        public String slowestGenerator;
        public long slowestSize;
        public long slowestNanos;
        public long slowestIndex;
        public long totalNanos;

        public String report() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format("fuzz: %,d inputs, seed %d, %.1f s%n", inputs, seed, totalNanos / 1e9));
            sb.append(String.format("outcomes: %,d decode errors; %,d events: %,d parsed, %,d parse errors%n",
                    decodeErrors, events, parsed, parseErrors));
            sb.append(String.format("escaped throwables: %,d%n", escaped));
            for (Map.Entry<String, Long> kind : escapedKinds.entrySet()) {
                sb.append(String.format("  %,d x %s%n      e.g. %s%n", kind.getValue(), kind.getKey(), escapedSamples.get(kind.getKey())));
            }
            if (generatorErrors > 0) {
                sb.append(String.format("generator errors (bugs of the fuzz, inputs skipped): %,d, e.g. %s%n", generatorErrors, generatorErrorSample));
            }
            sb.append(String.format("slowest per MB (elapsed / max(size, 1 KB), after a warm-up): %.1f ms/MB, input #%d (%s, %,d bytes, %.1f ms)%n",
                    slowestMsPerMb, slowestIndex, slowestGenerator, slowestSize, slowestNanos / 1e6));
            sb.append(String.format("%-20s %10s %10s %8s %8s %14s%n", "generator", "inputs", "MB", "seconds", "escaped", "slowest ms/MB"));
            for (Map.Entry<String, GeneratorStats> g : generators.entrySet()) {
                GeneratorStats s = g.getValue();
                sb.append(String.format("%-20s %,10d %,10.1f %,8.1f %,8d %,14.1f%n",
                        g.getKey(), s.inputs, s.bytes / 1048576.0, s.nanos / 1e9, s.escaped, s.slowestMsPerMb));
            }
            return sb.toString();
        }
    }
}
