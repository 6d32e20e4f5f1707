package c2y.peer;

import com.datastax.oss.driver.api.core.CqlIdentifier;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.metadata.schema.ColumnMetadata;
import com.datastax.oss.driver.api.core.metadata.schema.TableMetadata;
import java.io.BufferedWriter;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * DSBulk's unload architecture, rebuilt on the DataStax Java driver 4 (DSBulk's distribution is not on Maven
 * Central): the ring cut into token ranges, read concurrently with async paging, rows written as CSV to several
 * files at once. The bench then loads each file with psql \copy, as a DSBulk user moving to PostgreSQL would.
 * Formats the types of the bench's events table (scalars, sets and lists as PostgreSQL array literals).
 *
 * Arguments: host keyspace table outDir ranges maxConcurrentQueries files. Prints "rows=N columns=a,b,…".
 */
public final class DsbulkArchitecturePeer {
  private static final BigInteger MIN_TOKEN = BigInteger.valueOf(Long.MIN_VALUE);
  private static final BigInteger RING = BigInteger.TWO.pow(64);

  public static void main(String[] args) throws Exception {
    String host = args[0];
    String keyspace = args[1];
    String table = args[2];
    Path outDir = Path.of(args[3]);
    int ranges = Integer.parseInt(args[4]);
    int maxConcurrentQueries = Integer.parseInt(args[5]);
    int fileCount = Integer.parseInt(args[6]);
    Files.createDirectories(outDir);
    // DSBulk's own driver settings (its driver-reference.conf), not the driver's: a request may take 60 s, not 2 (on a
    // busy machine a page read took longer and failed the unload), 8 connections a node, 32768 requests each.
    DriverConfigLoader dsbulkSettings = DriverConfigLoader.programmaticBuilder()
        .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(60))
        .withInt(DefaultDriverOption.CONNECTION_POOL_LOCAL_SIZE, 8)
        .withInt(DefaultDriverOption.CONNECTION_MAX_REQUESTS, 32768)
        .build();
    try (CqlSession session = CqlSession.builder().withConfigLoader(dsbulkSettings).addContactPoint(new InetSocketAddress(host, 9042)).withLocalDatacenter("datacenter1").build()) {
      TableMetadata meta = session.getMetadata().getKeyspace(keyspace).flatMap(k -> k.getTable(table)).orElseThrow();
      List<ColumnMetadata> columns = new ArrayList<>(meta.getColumns().values());
      String token = "token(" + meta.getPartitionKey().stream().map(c -> c.getName().asCql(true)).collect(Collectors.joining(", ")) + ")";
      String select = "SELECT " + columns.stream().map(c -> c.getName().asCql(true)).collect(Collectors.joining(", "))
          + " FROM " + CqlIdentifier.fromInternal(keyspace).asCql(true) + "." + CqlIdentifier.fromInternal(table).asCql(true)
          + " WHERE " + token + " > ? AND " + token + " <= ?";
      PreparedStatement prepared = session.prepare(select);
      List<BufferedWriter> files = new ArrayList<>();
      for (int i = 0; i < fileCount; i++) files.add(Files.newBufferedWriter(outDir.resolve("part-" + i + ".csv"), StandardCharsets.UTF_8));
      AtomicLong rows = new AtomicLong();
      Semaphore permits = new Semaphore(maxConcurrentQueries);
      List<CompletableFuture<Void>> all = new ArrayList<>();
      for (int r = 0; r < ranges; r++) {
        long start = MIN_TOKEN.add(RING.multiply(BigInteger.valueOf(r)).divide(BigInteger.valueOf(ranges))).longValue();
        long end = r == ranges - 1 ? Long.MAX_VALUE : MIN_TOKEN.add(RING.multiply(BigInteger.valueOf(r + 1)).divide(BigInteger.valueOf(ranges))).longValue();
        BufferedWriter out = files.get(r % fileCount);
        permits.acquire();
        CompletableFuture<Void> done = new CompletableFuture<>();
        session.executeAsync(prepared.bind(start, end).setPageSize(5000).setConsistencyLevel(DefaultConsistencyLevel.ONE))
            .thenCompose(page -> drain(page, out, columns, rows))
            .whenComplete((ignored, error) -> {
              permits.release();
              if (error != null) done.completeExceptionally(error);
              else done.complete(null);
            });
        all.add(done);
      }
      CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).join();
      for (BufferedWriter file : files) file.close();
      System.out.println("rows=" + rows.get() + " columns=" + columns.stream().map(c -> c.getName().asInternal()).collect(Collectors.joining(",")));
    }
  }

  /** Writes a page, then asks for the next one asynchronously until the range is done. */
  private static CompletionStage<Void> drain(AsyncResultSet page, BufferedWriter out, List<ColumnMetadata> columns, AtomicLong rows) {
    StringBuilder text = new StringBuilder(page.remaining() * 200);
    for (Row row : page.currentPage()) {
      for (int i = 0; i < columns.size(); i++) {
        if (i > 0) text.append(',');
        text.append(csv(row.getObject(i)));
      }
      text.append('\n');
      rows.incrementAndGet();
    }
    try {
      synchronized (out) {
        out.write(text.toString());
      }
    } catch (IOException error) {
      return CompletableFuture.failedFuture(error);
    }
    return page.hasMorePages() ? page.fetchNextPage().thenCompose(next -> drain(next, out, columns, rows)) : CompletableFuture.completedFuture(null);
  }

  /** One CSV field as PostgreSQL's CSV COPY reads it: unquoted empty is NULL, anything else quoted where needed. */
  private static String csv(Object value) {
    if (value == null) return "";
    if (value instanceof String text) return quote(text);
    if (value instanceof Collection<?> items) {
      StringBuilder array = new StringBuilder("{");
      for (Object item : items) {
        if (array.length() > 1) array.append(',');
        array.append('"').append(scalar(item).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
      }
      return quote(array.append('}').toString());
    }
    return quote(scalar(value));
  }

  private static String scalar(Object value) {
    if (value instanceof InetAddress address) return address.getHostAddress();
    if (value instanceof java.math.BigDecimal decimal) return decimal.toPlainString();
    if (value instanceof ByteBuffer bytes) {
      StringBuilder hex = new StringBuilder("\\x");
      ByteBuffer view = bytes.duplicate();
      while (view.hasRemaining()) hex.append(String.format("%02x", view.get()));
      return hex.toString();
    }
    return value.toString();
  }

  private static String quote(String text) {
    return '"' + text.replace("\"", "\"\"") + '"';
  }
}
