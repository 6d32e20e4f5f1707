import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.cassandra.config.DatabaseDescriptor;
import org.apache.cassandra.cql3.CQLStatement;
import org.apache.cassandra.cql3.QueryProcessor;
import org.apache.cassandra.cql3.statements.schema.AlterSchemaStatement;
import org.apache.cassandra.db.ClusteringPrefix;
import org.apache.cassandra.db.DeletionTime;
import org.apache.cassandra.db.LivenessInfo;
import org.apache.cassandra.db.Mutation;
import org.apache.cassandra.db.RangeTombstone;
import org.apache.cassandra.db.commitlog.CommitLogDescriptor;
import org.apache.cassandra.db.commitlog.CommitLogPosition;
import org.apache.cassandra.db.commitlog.CommitLogReadHandler;
import org.apache.cassandra.db.commitlog.CommitLogReader;
import org.apache.cassandra.db.partitions.PartitionUpdate;
import org.apache.cassandra.db.rows.Cell;
import org.apache.cassandra.db.rows.ColumnData;
import org.apache.cassandra.db.rows.ComplexColumnData;
import org.apache.cassandra.db.rows.Row;
import org.apache.cassandra.schema.KeyspaceMetadata;
import org.apache.cassandra.schema.KeyspaceParams;
import org.apache.cassandra.schema.Schema;
import org.apache.cassandra.schema.SchemaTransformations;
import org.apache.cassandra.schema.TableMetadata;
import org.apache.cassandra.service.ClientState;

/**
 * c2y's CDC agent: reads one Cassandra node's cdc_raw with Cassandra's own commit-log reader and writes each change to
 * the migrated tables as a JSON line on stdout (cell values as hex of their serialized bytes, for c2y to decode with
 * the table's types). It reads only up to the offset each segment's _cdc.idx says is durable, and says where it is
 * (segment, position) on every line, so c2y can commit its place with the changes and resume from it.
 *
 * Arguments: --yaml <node's cassandra.yaml> --schema <file of CQL: CREATE TYPE/TABLE ... WITH ID, as DESCRIBE ...
 * WITH INTERNALS prints> --tables ks.t[,ks.t] [--from <segment>:<position>] [--follow] [--poll-ms <n>] [--end]
 *
 * --end prints where the durable log ends now (a caught-up line) without reading it: where a capture that starts now
 * begins. On stdin c2y may write "release <segment>": the segments before it are applied, and the agent deletes those
 * Cassandra is done with (COMPLETED), which frees cdc_raw (Cassandra refuses writes to CDC tables once it is full).
 */
public final class C2yCdcAgent {
    private static final Pattern SEGMENT = Pattern.compile("CommitLog-(\\d+)-(\\d+)\\.log");
    private static final Pattern RELEASE = Pattern.compile("release (\\d+)");

    private final BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
    private final Set<String> tables = new HashSet<>();

    public static void main(String[] args) {
        try {
            start(args);
        } catch (SegmentError e) {
            fail("SEGMENT", e.getMessage());
        } catch (org.apache.cassandra.exceptions.ConfigurationException e) {
            fail("CONFIG", "the node's cassandra.yaml cannot be used: " + e.getMessage());
        } catch (Throwable e) {
            String column = unknownColumn(e);
            if (column != null) {
                fail("SCHEMA_CHANGED", "the table's schema changed while the agent read its log: a change names column " + column
                    + ", which the schema the agent loaded at its start lacks; nothing after the last change printed was skipped");
            }
            fail("AGENT", String.valueOf(e));
        }
    }

    /** The column a mutation named that the loaded schema lacks (Cassandra says "Unknown column X"), if that is the failure. */
    private static String unknownColumn(Throwable error) {
        for (Throwable e = error; e != null; e = e.getCause()) {
            Matcher m = Pattern.compile("Unknown column (\\S+)").matcher(String.valueOf(e.getMessage()));
            if (m.find()) return m.group(1);
        }
        return null;
    }

    /** A segment the reader cannot read (another version's, or corrupt): its changes must not be skipped. */
    private static final class SegmentError extends RuntimeException {
        SegmentError(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * c2y holds the agent's stdin open and never writes to it: end of input means c2y is gone (even by kill -9), and
     * an agent left behind would read the log for no one, for good.
     */
    private static void exitWithParent(Path[] cdcRaw) {
        Thread watch = new Thread(() -> {
            try {
                java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line; (line = in.readLine()) != null;) {
                    Matcher release = RELEASE.matcher(line.trim());
                    if (release.matches() && cdcRaw[0] != null) releaseBefore(cdcRaw[0], Long.parseLong(release.group(1)));
                }
            } catch (IOException e) {
                // Closed either way.
            }
            System.exit(0);
        }, "c2y-parent-watch");
        watch.setDaemon(true);
        watch.start();
    }

    private static void start(String[] args) throws Exception {
        Path[] cdcRawHolder = { null };
        exitWithParent(cdcRawHolder);
        String yaml = null, schema = null, tablesArg = null, from = null;
        boolean follow = false, end = false;
        long pollMs = 500;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--yaml": yaml = args[++i]; break;
                case "--schema": schema = args[++i]; break;
                case "--tables": tablesArg = args[++i]; break;
                case "--from": from = args[++i]; break;
                case "--follow": follow = true; break;
                case "--end": end = true; break;
                case "--poll-ms": pollMs = Long.parseLong(args[++i]); break;
                default: fail("USAGE", "unknown argument " + args[i]);
            }
        }
        if (yaml == null || schema == null || tablesArg == null) fail("USAGE", "--yaml, --schema and --tables are required");
        C2yCdcAgent agent = new C2yCdcAgent();
        for (String t : tablesArg.split(",")) agent.tables.add(t.trim());
        System.setProperty("cassandra.config", Path.of(yaml).toUri().toString());
        DatabaseDescriptor.toolInitialization();
        if (!DatabaseDescriptor.isCDCEnabled()) fail("CDC_OFF", "cdc_enabled is not true in " + yaml + ": the node writes nothing to cdc_raw");
        agent.loadSchema(Files.readString(Path.of(schema)));
        Path cdcRaw = Path.of(DatabaseDescriptor.getCDCLogLocation());
        cdcRawHolder[0] = cdcRaw;
        if (end) {
            agent.printEnd(cdcRaw);
            return;
        }
        long segment = 0;
        int position = 0;
        if (from != null) {
            String[] parts = from.split(":");
            segment = Long.parseLong(parts[0]);
            position = Integer.parseInt(parts[1]);
        }
        agent.run(cdcRaw, segment, position, follow, pollMs);
    }

    private static void fail(String code, String message) {
        System.out.flush();
        System.err.println("{\"type\":\"error\",\"code\":" + quote(code) + ",\"message\":" + quote(message) + "}");
        System.exit(2);
    }

    /**
     * The migrated tables' schema, offline: a keyspace of each name (replication does not matter for reading a log),
     * then each CREATE TYPE / CREATE TABLE ... WITH ID (the cluster's table id: mutations name tables by id).
     */
    private void loadSchema(String cql) {
        Set<String> keyspaces = new HashSet<>();
        for (String table : tables) keyspaces.add(table.substring(0, table.indexOf('.')));
        for (String keyspace : keyspaces) Schema.instance.transform(SchemaTransformations.addKeyspace(KeyspaceMetadata.create(keyspace, KeyspaceParams.simple(1)), true));
        for (String statement : cql.split(";\\s*\\n")) {
            String trimmed = statement.trim();
            if (trimmed.isEmpty() || trimmed.toUpperCase().startsWith("CREATE KEYSPACE")) continue;
            CQLStatement prepared = QueryProcessor.parseStatement(trimmed).prepare(ClientState.forInternalCalls());
            if (!(prepared instanceof AlterSchemaStatement)) fail("SCHEMA", "not a schema statement: " + trimmed);
            Schema.instance.transform((AlterSchemaStatement) prepared);
        }
        for (String table : tables) {
            String[] parts = table.split("\\.", 2);
            TableMetadata metadata = Schema.instance.getTableMetadata(parts[0], parts[1]);
            if (metadata == null) fail("SCHEMA", "the schema given holds no table " + table);
            emit("{\"type\":\"table\",\"table\":" + quote(table) + ",\"id\":" + quote(metadata.id.toString()) + ",\"at\":" + System.currentTimeMillis() + "}");
        }
        flush();
    }

    private void run(Path cdcRaw, long fromSegment, int fromPosition, boolean follow, long pollMs) throws Exception {
        if (!Files.isDirectory(cdcRaw) || !Files.isReadable(cdcRaw)) fail("CDC_RAW", "cdc_raw_directory " + cdcRaw + " is not a readable folder");
        long segment = fromSegment;
        int position = fromPosition;
        // Resuming inside a segment that is gone: its changes after the position cannot be read, and must not be
        // skipped silently. (Position 0 means "from the next segment on", which may not exist yet.)
        if (position > 0 && listSegments(cdcRaw).stream().noneMatch(entry -> entry[0] == fromSegment)) {
            fail("SEGMENT", "segment " + fromSegment + " of --from is not in " + cdcRaw + ": its changes after position " + fromPosition + " cannot be read");
        }
        for (;;) {
            List<long[]> segments = listSegments(cdcRaw);
            boolean progressed = false;
            for (int i = 0; i < segments.size(); i++) {
                long[] entry = segments.get(i);
                long id = entry[0];
                if (id < segment) continue;
                if (id > segment) { segment = id; position = 0; }
                Path log = cdcRaw.resolve(name(entry));
                Path idx = idxOf(cdcRaw, entry);
                // A segment gets its _cdc.idx at its first sync with CDC data in it. None, while a later segment has one:
                // this one was closed without CDC data (Cassandra deletes its link once discarded). Go on past it.
                if (!Files.exists(idx) && laterHasIdx(cdcRaw, segments, i)) {
                    segment = id + 1;
                    position = 0;
                    continue;
                }
                Durable durable = durableOf(idx);
                if (durable.offset > position) {
                    position = read(log, id, position, durable.offset);
                    progressed = true;
                }
                if (!durable.completed) break;
                emit("{\"type\":\"segment-done\",\"segment\":" + id + ",\"file\":" + quote(log.toString()) + "}");
                segment = id + 1;
                position = 0;
            }
            emit(caughtUp(cdcRaw, segment, position));
            flush();
            if (!follow) return;
            if (!progressed) Thread.sleep(pollMs);
        }
    }

    /** Where the durable log ends now: the newest segment with a _cdc.idx, at its durable offset (none: nothing yet). */
    private void printEnd(Path cdcRaw) throws IOException {
        if (!Files.isDirectory(cdcRaw) || !Files.isReadable(cdcRaw)) fail("CDC_RAW", "cdc_raw_directory " + cdcRaw + " is not a readable folder");
        long segment = 0;
        int position = 0;
        for (long[] entry : listSegments(cdcRaw)) {
            Durable durable = durableOf(idxOf(cdcRaw, entry));
            if (!Files.exists(idxOf(cdcRaw, entry))) continue;
            // A completed segment is read whole: the next one begins after it.
            segment = durable.completed ? entry[0] + 1 : entry[0];
            position = durable.completed ? 0 : durable.offset;
        }
        emit(caughtUp(cdcRaw, segment, position));
        flush();
    }

    private static String caughtUp(Path cdcRaw, long segment, int position) throws IOException {
        return "{\"type\":\"caught-up\",\"segment\":" + segment + ",\"position\":" + position + ",\"at\":" + System.currentTimeMillis()
            + ",\"rawBytes\":" + rawBytes(cdcRaw) + ",\"rawLimit\":" + DatabaseDescriptor.getCDCTotalSpace() + ",\"syncMs\":" + syncMs() + "}";
    }

    /** How long a write may wait in memory before its segment is synced (and so readable here): the lag's floor. */
    private static long syncMs() {
        switch (DatabaseDescriptor.getCommitLogSync()) {
            case periodic: return DatabaseDescriptor.getCommitLogSyncPeriod();
            case group: return (long) Math.ceil(DatabaseDescriptor.getCommitLogSyncGroupWindow());
            default: return 0;
        }
    }

    /**
     * Deletes the segments before `segment` that Cassandra is done with (COMPLETED in their _cdc.idx, or closed without
     * CDC data: no idx while a later one has it): c2y applied every change in them. A segment still written stays.
     */
    private static synchronized void releaseBefore(Path cdcRaw, long segment) {
        try {
            List<long[]> segments = listSegments(cdcRaw);
            for (int i = 0; i < segments.size(); i++) {
                long[] entry = segments.get(i);
                if (entry[0] >= segment) break;
                Path idx = idxOf(cdcRaw, entry);
                boolean done = Files.exists(idx) ? durableOf(idx).completed : laterHasIdx(cdcRaw, segments, i);
                if (!done) continue;
                Files.deleteIfExists(cdcRaw.resolve(name(entry)));
                Files.deleteIfExists(idx);
            }
        } catch (IOException e) {
            System.err.println("WARN  C2yCdcAgent - could not release segments before " + segment + ": " + e);
        }
    }

    /** What cdc_raw holds: Cassandra refuses writes to CDC tables once this reaches cdc_total_space. */
    private static long rawBytes(Path cdcRaw) throws IOException {
        long total = 0;
        try (var files = Files.list(cdcRaw)) {
            for (Iterator<Path> it = files.iterator(); it.hasNext();) {
                Path file = it.next();
                if (file.getFileName().toString().endsWith(".log")) total += Files.size(file);
            }
        }
        return total;
    }

    private static Path idxOf(Path cdcRaw, long[] entry) {
        return cdcRaw.resolve(name(entry).replace(".log", "_cdc.idx"));
    }

    private static boolean laterHasIdx(Path cdcRaw, List<long[]> segments, int index) {
        for (int j = index + 1; j < segments.size(); j++) if (Files.exists(idxOf(cdcRaw, segments.get(j)))) return true;
        return false;
    }

    private static String name(long[] entry) {
        return "CommitLog-" + entry[1] + "-" + entry[0] + ".log";
    }

    /** cdc_raw's segments, oldest first, as {id, version}. */
    private static List<long[]> listSegments(Path cdcRaw) throws IOException {
        List<long[]> found = new ArrayList<>();
        try (var files = Files.list(cdcRaw)) {
            for (Iterator<Path> it = files.iterator(); it.hasNext();) {
                Matcher m = SEGMENT.matcher(it.next().getFileName().toString());
                if (m.matches()) found.add(new long[] { Long.parseLong(m.group(2)), Long.parseLong(m.group(1)) });
            }
        }
        found.sort((a, b) -> Long.compare(a[0], b[0]));
        return found;
    }

    private record Durable(int offset, boolean completed) {}

    /** The segment's _cdc.idx: how far it is durable, and whether Cassandra is done with it. No file yet: nothing. */
    private static Durable durableOf(Path idx) throws IOException {
        if (!Files.exists(idx)) return new Durable(0, false);
        List<String> lines = Files.readAllLines(idx);
        int offset = lines.isEmpty() || lines.get(0).isBlank() ? 0 : Integer.parseInt(lines.get(0).trim());
        return new Durable(offset, lines.size() > 1 && lines.get(1).trim().equals("COMPLETED"));
    }

    /** Reads the segment's mutations after `position` up to `durable`; returns the position reached. */
    private int read(Path log, long id, int position, int durable) throws IOException {
        int[] reached = { position };
        CommitLogReadHandler handler = new CommitLogReadHandler() {
            public boolean shouldSkipSegmentOnError(CommitLogReadException e) {
                // Past the durable part of a live segment the reader meets unsynced bytes: stop there, read again
                // later. Before it, the bytes are the log itself: an error there must stop the stream, never skip.
                if (reached[0] < durable) {
                    throw new SegmentError("segment " + log.getFileName() + " cannot be read after position " + reached[0] + " (durable up to " + durable + "): " + e.getMessage(), e);
                }
                return true;
            }

            public void handleUnrecoverableError(CommitLogReadException e) {
                throw new SegmentError("segment " + log.getFileName() + " cannot be read: " + e.getMessage(), e);
            }

            public void handleMutation(Mutation mutation, int size, int entryLocation, CommitLogDescriptor descriptor) {
                if (entryLocation <= reached[0] || entryLocation > durable) return;
                for (PartitionUpdate update : mutation.getPartitionUpdates()) {
                    String table = update.metadata().keyspace + "." + update.metadata().name;
                    if (tables.contains(table)) emit(change(update, table, id, entryLocation));
                }
                reached[0] = entryLocation;
            }
        };
        new CommitLogReader().readCommitLogSegment(handler, new org.apache.cassandra.io.util.File(log), new CommitLogPosition(id, position), CommitLogReader.ALL_MUTATIONS, true);
        return Math.max(reached[0], Math.min(durable, reached[0]));
    }

    private static String change(PartitionUpdate update, String table, long segment, int position) {
        StringBuilder json = new StringBuilder(256);
        json.append("{\"type\":\"change\",\"segment\":").append(segment).append(",\"position\":").append(position)
            .append(",\"table\":").append(quote(table)).append(",\"key\":\"").append(hex(update.partitionKey().getKey())).append('"');
        DeletionTime partition = update.partitionLevelDeletion();
        if (!partition.isLive()) json.append(",\"partitionDeleted\":").append(partition.markedForDeleteAt());
        StringBuilder ranges = new StringBuilder();
        for (Iterator<RangeTombstone> it = update.deletionInfo().rangeIterator(false); it.hasNext();) {
            RangeTombstone range = it.next();
            if (ranges.length() > 0) ranges.append(',');
            ranges.append("{\"start\":").append(bound(range.deletedSlice().start())).append(",\"end\":").append(bound(range.deletedSlice().end()))
                .append(",\"ts\":").append(range.deletionTime().markedForDeleteAt()).append('}');
        }
        if (ranges.length() > 0) json.append(",\"ranges\":[").append(ranges).append(']');
        if (!update.staticRow().isEmpty()) json.append(",\"static\":").append(row(update.staticRow()));
        StringBuilder rows = new StringBuilder();
        for (Row row : update) {
            if (rows.length() > 0) rows.append(',');
            rows.append(row(row));
        }
        if (rows.length() > 0) json.append(",\"rows\":[").append(rows).append(']');
        return json.append('}').toString();
    }

    private static String bound(ClusteringPrefix<?> prefix) {
        StringBuilder json = new StringBuilder("{\"kind\":").append(quote(prefix.kind().name())).append(",\"values\":[");
        for (int i = 0; i < prefix.size(); i++) json.append(i > 0 ? "," : "").append('"').append(hex(prefix.bufferAt(i))).append('"');
        return json.append("]}").toString();
    }

    private static String row(Row row) {
        StringBuilder json = new StringBuilder(128).append("{\"clustering\":[");
        ClusteringPrefix<?> clustering = row.clustering();
        for (int i = 0; i < clustering.size(); i++) json.append(i > 0 ? "," : "").append('"').append(hex(clustering.bufferAt(i))).append('"');
        json.append(']');
        LivenessInfo liveness = row.primaryKeyLivenessInfo();
        if (!liveness.isEmpty()) json.append(",\"ts\":").append(liveness.timestamp()).append(",\"ttl\":").append(liveness.ttl());
        if (!row.deletion().isLive()) json.append(",\"deleted\":").append(row.deletion().time().markedForDeleteAt());
        json.append(",\"cells\":[");
        boolean first = true;
        for (ColumnData data : row) {
            if (data instanceof ComplexColumnData complex) {
                if (!complex.complexDeletion().isLive()) {
                    json.append(first ? "" : ",").append("{\"column\":").append(quote(complex.column().name.toString())).append(",\"cleared\":").append(complex.complexDeletion().markedForDeleteAt()).append('}');
                    first = false;
                }
                for (Cell<?> cell : complex) {
                    json.append(first ? "" : ",").append(cell(cell, complex.column().name.toString()));
                    first = false;
                }
            } else {
                json.append(first ? "" : ",").append(cell((Cell<?>) data, data.column().name.toString()));
                first = false;
            }
        }
        return json.append("]}").toString();
    }

    private static String cell(Cell<?> cell, String column) {
        StringBuilder json = new StringBuilder(64).append("{\"column\":").append(quote(column)).append(",\"ts\":").append(cell.timestamp());
        if (cell.path() != null) json.append(",\"path\":\"").append(hex(cell.path().get(0))).append('"');
        if (cell.isTombstone()) json.append(",\"deleted\":true");
        else {
            if (cell.ttl() > 0) json.append(",\"ttl\":").append(cell.ttl()).append(",\"expires\":").append(cell.localDeletionTime());
            json.append(",\"value\":\"").append(hex(cell.buffer())).append('"');
        }
        return json.append('}').toString();
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private static String hex(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate();
        char[] chars = new char[b.remaining() * 2];
        for (int i = 0; b.hasRemaining(); i += 2) {
            int v = b.get() & 0xff;
            chars[i] = HEX[v >>> 4];
            chars[i + 1] = HEX[v & 15];
        }
        return new String(chars);
    }

    private static String quote(String text) {
        StringBuilder json = new StringBuilder(text.length() + 2).append('"');
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') json.append('\\').append(c);
            else if (c < 0x20) json.append(String.format("\\u%04x", (int) c));
            else json.append(c);
        }
        return json.append('"').toString();
    }

    private void emit(String line) {
        try {
            out.write(line);
            out.write('\n');
        } catch (IOException e) {
            System.exit(3);
        }
    }

    private void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            System.exit(3);
        }
    }
}
