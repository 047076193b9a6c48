package dev.nagare.job.lake;

import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.values.ValuesWriter;
import org.apache.parquet.column.values.dictionary.DictionaryValuesWriter;
import org.apache.parquet.column.values.factory.DefaultValuesWriterFactory;
import org.apache.parquet.column.values.factory.ValuesWriterFactory;
import org.apache.parquet.column.values.fallback.FallbackValuesWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.PrimitiveType;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Parquet's writers with one change: a text column's dictionary encoder remembers the ids of the
 * values it wrote recently, and writes a value it remembers without looking it up in the
 * dictionary. The files are byte for byte those Parquet writes without it
 * (RepeatAwareDictionariesTest).
 *
 * <p>Why: the lake's text columns repeat row after row. Every event of a CloudWatch record
 * shares its account, log group, log stream and service, the lake receives a record's events one
 * after another, and levels and attribute names come from small sets. Parquet looks each value
 * up in its dictionary's hash map: a hash over every byte and a byte-by-byte comparison with the
 * entry it finds, both in loops the JIT does not vectorize. In a profile of the benchmark that
 * lookup was a fifth of the lake writer's samples (the map's {@code getInt} 19.6%, with {@code
 * Binary.equals} and {@code Binary.hashCode} in it), for about 21 values per event. With the cache, 86% of those values are
 * found in it and cost one comparison of the bytes, which {@link Arrays#equals(byte[], int, int,
 * byte[], int, int)} does with vector instructions.
 *
 * <p>Only the first (V1) page format's text dictionaries are replaced, the format the lake
 * writes; everything else is Parquet's own writer. Parquet's builder has no public setting for
 * the writer factory, so {@link #install} sets it on the builder's encoding settings by
 * reflection, and only under the Parquet release whose encoder it repeats ({@link
 * #PARQUET_VERSION}); under another, or if the field moved, the lake writes with Parquet's
 * writers: the files are the same either way, only slower.
 */
final class RepeatAwareDictionaries implements ValuesWriterFactory {
    private static final Logger LOG = LoggerFactory.getLogger(RepeatAwareDictionaries.class);
    /**
     * The Parquet release whose dictionary encoder {@link RepeatAwareBinaryDictionary#lookup}
     * repeats. Under any other the lake uses Parquet's writers: a later release could change
     * what its encoder does while keeping the builder's field.
     */
    static final String PARQUET_VERSION = "1.13.";
    private static final Field ENCODING_SETTINGS = encodingSettings();
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private final DefaultValuesWriterFactory parquet = new DefaultValuesWriterFactory();
    private ParquetProperties properties;

    /**
     * Makes {@code builder}'s writers use this factory.
     *
     * @return whether it is installed (false: Parquet's writers, with a warning logged)
     */
    static boolean install(ParquetWriter.Builder<?, ?> builder) {
        if (ENCODING_SETTINGS == null) {
            return false;
        }
        try {
            ((ParquetProperties.Builder) ENCODING_SETTINGS.get(builder)).withValuesWriterFactory(new RepeatAwareDictionaries());
            return true;
        } catch (IllegalAccessException | RuntimeException e) {
            if (!WARNED.getAndSet(true)) {
                LOG.warn("Parquet's writers are used without the repeated-value shortcut: {}", e.toString());
            }
            return false;
        }
    }

    /** Whether the lake's text values are read in place, not through a ByteBuffer per value. */
    static boolean readsValuesInPlace() {
        return SliceFields.AVAILABLE;
    }

    private static Field encodingSettings() {
        try {
            // Read at run time: the constant would be compiled in from the Parquet built against.
            String version = String.valueOf(Class.forName("org.apache.parquet.Version").getField("VERSION_NUMBER").get(null));
            if (!version.startsWith(PARQUET_VERSION)) {
                LOG.info("Parquet's writers are used without the repeated-value shortcut (made for Parquet {}x, this is {})",
                        PARQUET_VERSION, version);
                return null;
            }
            Field field = ParquetWriter.Builder.class.getDeclaredField("encodingPropsBuilder");
            if (field.getType() != ParquetProperties.Builder.class) {
                throw new NoSuchFieldException("encodingPropsBuilder is a " + field.getType().getName());
            }
            field.setAccessible(true);
            return field;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("Parquet's writers are used without the repeated-value shortcut (this Parquet's builder differs: {})",
                    e.toString());
            return null;
        }
    }

    @Override
    public void initialize(ParquetProperties properties) {
        this.properties = properties;
        parquet.initialize(properties);
    }

    @Override
    public ValuesWriter newValuesWriter(ColumnDescriptor column) {
        ValuesWriter writer = parquet.newValuesWriter(column);
        if (properties.getWriterVersion() != ParquetProperties.WriterVersion.PARQUET_1_0
                || column.getPrimitiveType().getPrimitiveTypeName() != PrimitiveType.PrimitiveTypeName.BINARY
                || !(writer instanceof FallbackValuesWriter)
                || ((FallbackValuesWriter<?, ?>) writer).initialWriter.getClass() != DictionaryValuesWriter.PlainBinaryDictionaryValuesWriter.class) {
            return writer;
        }
        // What Parquet's V1 factory builds for a text column with a dictionary, but with this encoder.
        return FallbackValuesWriter.of(
                new RepeatAwareBinaryDictionary(properties.getDictionaryPageSizeThreshold(), properties.getAllocator()),
                ((FallbackValuesWriter<?, ?>) writer).fallBackWriter);
    }

    /**
     * Parquet's dictionary encoder for text, which remembers the ids of recent values in a small
     * cache and writes a value found there without a lookup in the dictionary. The lookup it
     * replaces is Parquet's own {@code writeBytes}, repeated here because the id it finds is not
     * otherwise visible; ids, dictionary and sizes come out the same.
     *
     * <p>The cache has {@value #SLOTS} slots, chosen by a value's length and its first and last
     * bytes, so that values that take turns row after row (a map's keys, a few levels, two log
     * streams) keep their own slots. A slot is checked with one comparison of the bytes. Choosing
     * the slot reads three bytes, where Parquet's lookup hashes every byte and compares every
     * byte with the entry it finds, both in loops the JIT does not vectorize.
     */
    static final class RepeatAwareBinaryDictionary extends DictionaryValuesWriter.PlainBinaryDictionaryValuesWriter {
        /**
         * Longer values are not remembered: each slot would hold a copy of up to a megabyte per
         * column and open file, and long texts (messages, queries) seldom repeat row after row.
         */
        static final int MAX_REMEMBERED = 256;
        static final int SLOTS = 16;

        /** Per slot: a copy of the value's bytes, its length (-1: empty) and its id in the dictionary. */
        /** Encoders made and values found in their caches, over the process (for tests and profiling). */
        static final AtomicLong CREATED = new AtomicLong();
        static final AtomicLong FOUND = new AtomicLong();

        private final byte[][] values = new byte[SLOTS][];
        private final int[] lengths = new int[SLOTS];
        private final int[] ids = new int[SLOTS];
        /** Values found in the cache, added to {@link #FOUND} on close (no shared write per value). */
        private long found;

        RepeatAwareBinaryDictionary(int maxDictionaryByteSize, org.apache.parquet.bytes.ByteBufferAllocator allocator) {
            super(maxDictionaryByteSize, Encoding.PLAIN_DICTIONARY, Encoding.PLAIN_DICTIONARY, allocator);
            Arrays.fill(lengths, -1);
            CREATED.incrementAndGet();
        }

        @Override
        public void writeBytes(Binary value) {
            byte[] array;
            int offset;
            int length;
            if (value.getClass() == SliceFields.TYPE && SliceFields.AVAILABLE) {
                array = (byte[]) SliceFields.VALUE.get(value);
                offset = (int) SliceFields.OFFSET.get(value);
                length = (int) SliceFields.LENGTH.get(value);
            } else {
                ByteBuffer bytes = value.toByteBuffer();
                if (!bytes.hasArray()) {
                    encodedValues.add(lookup(value));
                    return;
                }
                array = bytes.array();
                offset = bytes.arrayOffset() + bytes.position();
                length = bytes.remaining();
            }
            if (length > MAX_REMEMBERED) {
                encodedValues.add(lookup(value));
                return;
            }
            int slot = length == 0 ? 0 : (length * 31 + array[offset] * 7 + array[offset + length - 1]) & (SLOTS - 1);
            if (lengths[slot] == length && Arrays.equals(values[slot], 0, length, array, offset, offset + length)) {
                encodedValues.add(ids[slot]);
                found++;
                return;
            }
            int id = lookup(value);
            encodedValues.add(id);
            byte[] copy = values[slot];
            if (copy == null || copy.length < length) {
                copy = values[slot] = new byte[Math.max(16, length)];
            }
            System.arraycopy(array, offset, copy, 0, length);
            lengths[slot] = length;
            ids[slot] = id;
        }

        /** Parquet's lookup: the value's id, added to the dictionary if new. */
        private int lookup(Binary value) {
            int id = binaryDictionaryContent.getInt(value);
            if (id == -1) {
                id = binaryDictionaryContent.size();
                binaryDictionaryContent.put(value.copy(), id);
                // As Parquet counts it: the length (4 bytes) and the bytes.
                dictionaryByteSize += 4L + value.length();
            }
            return id;
        }

        @Override
        protected void clearDictionaryContent() {
            super.clearDictionaryContent();
            Arrays.fill(lengths, -1);
        }

        @Override
        public void close() {
            super.close();
            FOUND.addAndGet(found);
            found = 0;
        }
    }

    /**
     * The fields of the text values the lake hands Parquet ({@code Binary.fromReusedByteArray}
     * with an offset), read without the {@code ByteBuffer} that {@code toByteBuffer} allocates
     * for each value. Other values, or a Parquet without these fields, go through {@code toByteBuffer}.
     */
    private static final class SliceFields {
        static final Class<?> TYPE = Binary.fromReusedByteArray(new byte[1], 0, 1).getClass();
        static final VarHandle VALUE;
        static final VarHandle OFFSET;
        static final VarHandle LENGTH;
        static final boolean AVAILABLE;

        static {
            VarHandle value = null;
            VarHandle offset = null;
            VarHandle length = null;
            try {
                MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(TYPE, MethodHandles.lookup());
                value = lookup.findVarHandle(TYPE, "value", byte[].class);
                offset = lookup.findVarHandle(TYPE, "offset", int.class);
                length = lookup.findVarHandle(TYPE, "length", int.class);
            } catch (ReflectiveOperationException | RuntimeException e) {
                LOG.info("Parquet's text values are read through toByteBuffer ({})", e.toString());
                value = null;
            }
            VALUE = value;
            OFFSET = offset;
            LENGTH = length;
            AVAILABLE = value != null;
        }
    }
}
