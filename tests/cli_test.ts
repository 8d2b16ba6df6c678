import assert from "node:assert/strict";
import {
  checkDateRange,
  commandNameOf,
  type CommandRecord,
  isDate,
  mainHelp,
  parseCommandLine,
  UsageError,
} from "../lib/cli.ts";

const echo: CommandRecord = {
  name: "echo",
  summary: "print the options",
  usage: "dns-analytics echo [--loud] <word>...",
  help: "Prints its words.\n\nExample:\n  dns-analytics echo hello",
  options: { loud: { type: "boolean" }, times: { type: "string" } },
  database: "none",
  run: () => Promise.resolve(0),
};

Deno.test("parseCommandLine: the record, its options, --config before the command", () => {
  const p = parseCommandLine(["--config", "x.env", "echo", "--loud", "a", "b"], [echo]);
  assert.equal(p.command, echo);
  assert.deepEqual(p.values, { config: "x.env", loud: true });
  assert.deepEqual(p.positionals, ["a", "b"]);
  assert.equal(parseCommandLine(["--help"], [echo]).command, null);
  assert.throws(() => parseCommandLine(["nope"], [echo]), /Unknown command "nope". Commands: echo/);
  assert.throws(
    () => parseCommandLine(["echo", "--quiet"], [echo]),
    (e) => e instanceof UsageError && /see: dns-analytics echo --help/.test(e.message),
  );
  assert.match(mainHelp([echo]), /\n {2}echo {7}print the options\n/);
});

Deno.test("dates: real calendar days only, --from not after --to", () => {
  assert.equal(isDate("2026-02-28"), true);
  assert.equal(isDate("2026-02-30"), false);
  assert.equal(isDate("2026-13-01"), false);
  assert.equal(isDate("26-01-01"), false);
  checkDateRange({ from: "2026-01-01", to: "2026-01-31" });
  assert.throws(() => checkDateRange({ from: "2026-13-01" }), /--from must be a date/);
  assert.throws(
    () => checkDateRange({ from: "2026-02-01", to: "2026-01-31" }),
    /--from must not be after --to/,
  );
});

Deno.test("main: each command's loader gives the record of its name; a run loads its command's alone", async () => {
  const { COMMANDS } = await import("../main.ts");
  for (const [name, load] of Object.entries(COMMANDS)) assert.equal((await load()).name, name);
  assert.equal(commandNameOf(["--config", "x.env", "ingest", "a.log"]), "ingest");
  assert.equal(commandNameOf(["--help"]), null);
});
