package dev.nagare.job.alerts;

import org.apache.flink.types.Row;

import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkServiceException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.LambdaClientBuilder;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Invokes a Lambda function asynchronously ({@code InvocationType=Event}) with the alert JSON as
 * the event. Credentials come from the SDK's default chain (the application's IAM role on Managed
 * Flink); the SDK's own retries are off because the delivery function retries with its own bound.
 */
final class LambdaSender implements Sender {
    private final Destination destination;
    private final LambdaClient lambda;
    private final ExecutorService executor;

    LambdaSender(Destination destination) {
        this.destination = destination;
        LambdaClientBuilder builder = LambdaClient.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(destination.connectTimeout)
                        .socketTimeout(destination.requestTimeout))
                .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry())
                        .apiCallTimeout(destination.requestTimeout.multipliedBy(2)));
        if (destination.region != null) {
            builder.region(Region.of(destination.region));
        }
        if (destination.endpoint != null) {
            builder.endpointOverride(URI.create(destination.endpoint));
        }
        this.lambda = builder.build();
        // The SDK client here is blocking; a few threads keep several invocations in flight.
        this.executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "nagare-lambda-" + destination.function);
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public CompletableFuture<Attempt> send(Row alert) {
        String payload = AlertJson.plain(alert);
        return CompletableFuture.supplyAsync(() -> invoke(payload), executor);
    }

    private Attempt invoke(String payload) {
        try {
            InvokeResponse response = lambda.invoke(r -> r.functionName(destination.function)
                    .invocationType(InvocationType.EVENT)
                    .payload(SdkBytes.fromUtf8String(payload)));
            int status = response.statusCode();
            return status >= 200 && status < 300 ? Attempt.delivered() : Attempt.retry("Lambda status " + status, -1);
        } catch (SdkServiceException e) {
            int status = e.statusCode();
            String error = "Lambda " + status + " " + e.getClass().getSimpleName();
            // Throttling (429) and service errors (5xx) pass; a missing function or denied access does not.
            return status == 429 || status >= 500 ? Attempt.retry(error, -1) : Attempt.permanent(error);
        } catch (SdkClientException e) {
            return Attempt.retry("Lambda client error: " + e.getMessage(), -1);
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
        lambda.close();
    }
}
