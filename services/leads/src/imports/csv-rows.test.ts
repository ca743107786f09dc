import { test } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { CsvFormatError, CsvHeaderError, csvRows, headerKey, type CsvRow } from "./csv-rows";

const rowsOf = async (csv: string | Iterable<string> | AsyncIterable<string>, options = {}) => {
  const out: CsvRow[] = [];
  for await (const row of csvRows(Readable.from(typeof csv === "string" ? [csv] : csv), options)) out.push(row);
  return out;
};

test("headers map by name (common spellings too); other columns become metadata; lines are numbered as in the file", async () => {
  const rows = await rowsOf('\uFEFFFull Name,Company,Phone Number,E-mail,Lead Source\nAda Lovelace,"Engines, Ltd",+1 415 555 0123,ADA@example.com,fb\n\n"Grace",Navy,(415) 555-0124,,\n', { defaultCountry: "US", mapping: { "E-mail": "email" } });
  assert.deepEqual(rows, [
    { row: 2, lead: { phone: "+14155550123", name: "Ada Lovelace", businessName: "Engines, Ltd", email: "ada@example.com", timezone: undefined, metadata: { lead_source: "fb" } } },
    { row: 4, lead: { phone: "+14155550124", name: "Grace", businessName: "Navy", email: undefined, timezone: undefined, metadata: {} } },
  ]);
  assert.equal(headerKey(" Phone  Number! "), "phone_number");
});

test("bad rows name the field and keep their line; a phone seen earlier in the file is a duplicate of that line", async () => {
  const rows = await rowsOf("phone,email,timezone\n+14155550123,x,Mars/Olympus\n,ok@example.com,\n415-555-0199,,\n+1 415 555 0177,,\n+14155550177,,Europe/Madrid\n");
  assert.deepEqual(rows, [
    { row: 2, errors: [{ path: "email", message: "not a valid email address" }, { path: "timezone", message: "not an IANA time zone (e.g. America/New_York)" }] },
    { row: 3, errors: [{ path: "phone", message: "is required" }] },
    { row: 4, errors: [{ path: "phone", message: "not a valid phone number (use the +<country code> form, or set the workspace's default_country)" }] },
    { row: 5, lead: { phone: "+14155550177", name: undefined, businessName: undefined, email: undefined, timezone: undefined, metadata: {} } },
    { row: 6, duplicateOf: 5 },
  ]);
});

test("a file without a phone column, or with two columns for one field, or with no line at all, is refused before any row", async () => {
  await assert.rejects(rowsOf("name,email\nAda,a@example.com\n"), (err: unknown) => {
    assert.ok(err instanceof CsvHeaderError);
    assert.equal(err.errors[0]?.path, "file.header");
    assert.match(err.errors[0]?.message ?? "", /found name, email/);
    return true;
  });
  await assert.rejects(rowsOf("phone,mobile\n+14155550123,+14155550124\n"), /two columns map to phone/);
  await assert.rejects(rowsOf("\n\n"), /the CSV is empty/);
  await assert.rejects(rowsOf("Tel,name\n+14155550123,Ada\n", { mapping: { "Phone Numbr": "phone" } }), (err: unknown) => {
    assert.ok(err instanceof CsvHeaderError);
    assert.equal(err.message, "the mapping names columns the CSV does not have");
    assert.match(err.errors[0]?.message ?? "", /not in the header: Phone Numbr; found Tel, name/);
    return true;
  });
});

test("a line that breaks the CSV ends the file there, after every row before it", async () => {
  const seen: number[] = [];
  const lines = ["phone", "+14155550101", "+14155550102", '"+14155550103,x', "+14155550104"];
  await assert.rejects(
    (async () => {
      for await (const row of csvRows(Readable.from([lines.join("\n")]))) seen.push(row.row);
    })(),
    (err: unknown) => err instanceof CsvFormatError && /^line 5: Quote Not Closed/.test(err.message),
  );
  assert.deepEqual(seen, [2, 3]);
  assert.deepEqual(await rowsOf('phone,notes\n+14155550105,27" monitor\n'), [
    { row: 2, lead: { phone: "+14155550105", name: undefined, businessName: undefined, email: undefined, timezone: undefined, metadata: { notes: '27" monitor' } } },
  ]);
});

test("a character split between two chunks is read whole", async () => {
  const bytes = Buffer.from("name,phone\nLucía,+14155550107\n");
  const cut = bytes.indexOf(Buffer.from("í")) + 1;
  const rows = [];
  for await (const row of csvRows(Readable.from([bytes.subarray(0, cut), bytes.subarray(cut)]))) rows.push(row);
  assert.equal("lead" in rows[0]! && rows[0].lead.name, "Lucía");
});

test("a source that fails fails the rows, instead of leaving them waiting", async () => {
  async function* failing() {
    yield "phone\n+14155550106\n";
    throw new Error("chunk store unreachable");
  }
  await assert.rejects(rowsOf(failing()), /chunk store unreachable/);
});

test("streams a large file row by row: 20,000 rows arriving in small chunks, counted exactly", async () => {
  function* chunks() {
    yield "name,phone\n";
    for (let i = 0; i < 20_000; i++) yield `Lead ${i},+1415${String(2_000_000 + (i % 19_990)).padStart(7, "0")}\n`;
  }
  let leads = 0;
  let duplicates = 0;
  for await (const row of csvRows(Readable.from(chunks()))) {
    if ("lead" in row) leads += 1;
    else if ("duplicateOf" in row) duplicates += 1;
  }
  assert.deepEqual({ leads, duplicates }, { leads: 19_990, duplicates: 10 });
});
