import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The API token serve.sh created for the suite, as a request header. */
export function auth(): Record<string, string> {
  const token = readFileSync(join(__dirname, "..", ".tmp", "token"), "utf8").trim();
  return { Authorization: `Bearer ${token}` };
}
