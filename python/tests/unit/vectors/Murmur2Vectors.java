// Regenerates murmur2.json with Kafka's own Utils.murmur2 (kafka-clients 4.1.1):
//   java -cp kafka-clients-4.1.1.jar:slf4j-api.jar Murmur2Vectors.java > murmur2.json
import org.apache.kafka.common.utils.Utils;
import java.nio.charset.StandardCharsets;
public class Murmur2Vectors {
  public static void main(String[] a) {
    String[] keys = {"", "a", "ab", "abc", "abcd", "abcde", "vote-1", "support-agent-1", "billing-agent-7", "devops-agent-2", "mcp-demo-agent", "python-agent-1", "act-0001", "Zoë Ünal 😀", "550e8400-e29b-41d4-a716-446655440000", "a-much-longer-agent-identifier-with-more-than-thirty-two-bytes"};
    StringBuilder sb = new StringBuilder("[\n");
    for (int i = 0; i < keys.length; i++) {
      byte[] b = keys[i].getBytes(StandardCharsets.UTF_8);
      int h = Utils.murmur2(b);
      sb.append(String.format("  {\"key\": \"%s\", \"murmur2\": %d, \"partitionOf6\": %d, \"partitionOf24\": %d}%s\n",
        keys[i], h, Utils.toPositive(h) % 6, Utils.toPositive(h) % 24, i + 1 < keys.length ? "," : ""));
    }
    System.out.print(sb.append("]\n"));
  }
}
