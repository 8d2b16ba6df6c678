import assert from "node:assert/strict";
import { crlfLines } from "../../lib/search/csv_export.ts";
import { inlineParams, sqlLiteral } from "../../lib/search/query_sql.ts";

async function crlf(parts: string[]): Promise<string> {
  const enc = new TextEncoder();
  async function* chunks() {
    for (const p of parts) yield enc.encode(p);
  }
  let out = "";
  const dec = new TextDecoder();
  for await (const c of crlfLines(chunks())) out += dec.decode(c, { stream: true });
  return out + dec.decode();
}

Deno.test("crlfLines: line ends become CRLF, a line feed inside a quoted field stays", async () => {
  assert.equal(await crlf(["a,b\n1,2\n"]), "a,b\r\n1,2\r\n");
  assert.equal(await crlf(['a,"x\ny"\n', "2,3\n"]), 'a,"x\ny"\r\n2,3\r\n');
  // The quote state carries across chunks, also a doubled quote split between two.
  assert.equal(await crlf(['1,"a\n', 'b"', '"\nc"\n', "z\n"]), '1,"a\nb""\nc"\r\nz\r\n');
  assert.equal(await crlf(["no line end", "", " yet\n"]), "no line end yet\r\n");
});

Deno.test("sqlLiteral: escape strings read back whatever they hold; arrays; integers only", () => {
  assert.equal(sqlLiteral("a'b"), "E'a''b'");
  assert.equal(
    sqlLiteral("back\\slash'); drop table x; --"),
    "E'back\\\\slash''); drop table x; --'",
  );
  assert.equal(sqlLiteral(["x", "y'"]), "array[E'x', E'y''']");
  assert.equal(sqlLiteral([]), "array[]");
  assert.equal(sqlLiteral(42), "42");
  assert.throws(() => sqlLiteral(1.5), RangeError);
  assert.throws(() => sqlLiteral("nul\0"), RangeError);
  assert.throws(() => sqlLiteral(null), TypeError);
});

Deno.test("inlineParams: every $n once, $10 is not $1 followed by 0, values are not rescanned", () => {
  const params = ["$2", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
  assert.equal(
    inlineParams({ text: "select $1::text, $10::text, $2", params }),
    "select E'$2'::text, E'j'::text, E'b'",
  );
  assert.throws(() => inlineParams({ text: "select $3", params: ["a"] }), RangeError);
});
