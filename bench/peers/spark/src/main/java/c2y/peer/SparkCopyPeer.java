package c2y.peer;

import java.io.StringReader;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.Iterator;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * What the seed describes: read the table through the Spark Cassandra connector, then foreachPartition opens one
 * JDBC connection, streams the partition as CSV through CopyManager.copyIn, commits and closes.
 * Args: contactPoint keyspace table jdbcUrl targetTable parallelism splitSizeMb
 */
public final class SparkCopyPeer {
  public static void main(String[] args) throws Exception {
    String contactPoint = args[0], keyspace = args[1], table = args[2], jdbcUrl = args[3], target = args[4];
    int parallelism = Integer.parseInt(args[5]);
    String splitSizeMb = args[6];
    SparkSession spark = SparkSession.builder().appName("c2y-spark-peer").master("local[" + parallelism + "]")
        .config("spark.default.parallelism", String.valueOf(parallelism))
        .config("spark.cassandra.connection.host", contactPoint)
        .config("spark.cassandra.input.split.sizeInMB", splitSizeMb)
        .config("spark.cassandra.input.consistency.level", "ONE")
        .config("spark.ui.enabled", "false")
        .getOrCreate();
    long started = System.nanoTime();
    Dataset<Row> rows = spark.read().format("org.apache.spark.sql.cassandra").option("keyspace", keyspace).option("table", table).load();
    String[] columns = rows.columns();
    String copySql = "COPY " + target + " (" + String.join(", ", columns) + ") FROM STDIN WITH (FORMAT csv)";
    AtomicInteger partitions = new AtomicInteger();
    rows.foreachPartition((Iterator<Row> partition) -> {
      try (Connection connection = DriverManager.getConnection(jdbcUrl, new Properties())) {
        connection.setAutoCommit(false);
        CopyManager copy = connection.unwrap(PGConnection.class).getCopyAPI();
        StringBuilder csv = new StringBuilder();
        int buffered = 0;
        while (partition.hasNext()) {
          Row row = partition.next();
          for (int i = 0; i < row.length(); i++) {
            if (i > 0) csv.append(',');
            Object value = row.get(i);
            if (value != null) csv.append('"').append(render(value).replace("\"", "\"\"")).append('"');
          }
          csv.append('\n');
          // The seed's copyBufferSize: rows held before they are written to the COPY stream.
          if (++buffered == 10000) {
            copy.copyIn(copySql, new StringReader(csv.toString()));
            csv.setLength(0);
            buffered = 0;
          }
        }
        if (csv.length() > 0) copy.copyIn(copySql, new StringReader(csv.toString()));
        connection.commit();
      }
    });
    long count = rows.count();
    double seconds = (System.nanoTime() - started) / 1e9;
    System.out.println("{\"rows\":" + count + ",\"seconds\":" + seconds + ",\"partitions\":" + rows.rdd().getNumPartitions() + "}");
    spark.stop();
  }

  private static String render(Object value) {
    if (value instanceof scala.collection.Seq<?> seq) {
      StringBuilder out = new StringBuilder("{");
      scala.collection.Iterator<?> items = seq.iterator();
      boolean first = true;
      while (items.hasNext()) {
        if (!first) out.append(',');
        first = false;
        out.append('"').append(String.valueOf(items.next()).replace("\"", "\\\"")).append('"');
      }
      return out.append('}').toString();
    }
    if (value instanceof java.sql.Timestamp ts) return ts.toInstant().toString();
    return String.valueOf(value);
  }
}
