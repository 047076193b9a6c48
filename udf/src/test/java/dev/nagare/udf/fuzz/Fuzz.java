package dev.nagare.udf.fuzz;

/**
 * The fuzz command: {@code Fuzz [inputs=1000000] [seed=1]}. Runs {@link FuzzRun} and prints its
 * report; exits with 1 when any throwable other than a decode or parse error escaped. Not part of
 * the test suite (a seeded share of it is: {@link FuzzTest}); run it with
 * {@code mvn -q -Pfuzz -pl udf package -Dfuzz.args="1000000 1"}.
 */
public final class Fuzz {
    private Fuzz() {}

    public static void main(String[] args) {
        long inputs = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000;
        long seed = args.length > 1 ? Long.parseLong(args[1]) : 1;
        FuzzRun.Result result = FuzzRun.run(inputs, seed);
        System.out.print(result.report());
        System.exit(result.escaped > 0 ? 1 : 0);
    }
}
