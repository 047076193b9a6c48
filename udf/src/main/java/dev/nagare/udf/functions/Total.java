package dev.nagare.udf.functions;

import java.util.function.Supplier;

/**
 * Runs the body of a SQL function so that it cannot fail the task. A function runs inside a rule
 * on every row; an exception there fails the task, and the job restarts onto the same record
 * forever. So anything thrown becomes null, "could not be evaluated", a stack overflow included
 * (the stack unwinds, and the thread is fine: the job's decoding treats it the same way), except
 * the other {@link VirtualMachineError}s (out of memory, internal error): the JVM is not fit to
 * continue after one, so they are rethrown.
 */
final class Total {
    private Total() {}

    static <T> T orNull(Supplier<T> body) {
        try {
            return body.get();
        } catch (StackOverflowError e) {
            return null; // could not be evaluated
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            return null; // could not be evaluated
        }
    }
}
