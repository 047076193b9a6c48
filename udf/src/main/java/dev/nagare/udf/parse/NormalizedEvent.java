package dev.nagare.udf.parse;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One row of the {@code logs} table under construction (the contract in DESIGN.md). Parsers fill
 * the columns that apply to their format; the rest stay null. A plain mutable carrier on purpose:
 * it lives only between parsing and the conversion to a Flink row.
 */
public final class NormalizedEvent {
    /** Epoch milliseconds of the event itself (the most precise time the record carries). */
    public long eventTimeMillis;
    public long ingestTimeMillis;
    /** The time the line itself claimed when it was not trusted for event time (see EventParser); else null. */
    public Long rejectedEventTimeMillis;
    public String eventId;
    public String logType;
    public String account;
    public String region;
    public String logGroup;
    public String logStream;
    public String service;
    public String level;
    public String message;
    public String requestId;
    public String traceId;
    public final Map<String, String> attributes = new LinkedHashMap<>();

    public String dbUser;
    public String dbClientHost;
    public String dbOperation;
    public String dbName;
    public String dbObject;
    public String dbQuery;
    public Integer dbRetcode;
    public Long dbConnectionId;

    public String awsEventName;
    public String awsEventSource;
    public String awsPrincipalArn;
    public String awsPrincipalType;
    public String awsSourceIp;
    public String awsErrorCode;
    public Boolean awsMfa;

    public Double lambdaDurationMs;
    public Integer lambdaMaxMemoryMb;
    public Integer lambdaMemorySizeMb;
    public Double lambdaInitMs;
}
