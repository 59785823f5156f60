/**
 * CSV exports (CONTRACT E49, E50, E68): real text/csv attachments with a header row that parse
 * back (RFC 4180) into the rows that produced them, including quotes, commas, line breaks and
 * spreadsheet formulas (neutralised with a leading single quote).
 */
import assert from "node:assert/strict";
import { testContext } from "./_support.ts";
import { call } from "./_schema_check.ts";
import { addAgent, addSwitch } from "./_dashboard_fixtures.ts";
import { csvCell, toCsv } from "../routes/_csv.ts";

/** An independent RFC 4180 parser (quoted fields, doubled quotes, CRLF or LF, embedded breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      continue;
    } else if (ch === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else cell += ch;
  }
  if (cell !== "" || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/** What a spreadsheet-safe cell turns a formula-looking text into. */
const safe = (s: string) => (/^[=+\-@\t\r]/.test(s) ? `'${s}` : s);

Deno.test("csv: cells are quoted per RFC 4180 and formulas neutralised", () => {
  assert.equal(csvCell('a "b", c'), '"a ""b"", c"');
  assert.equal(csvCell("line\nbreak"), '"line\nbreak"');
  assert.equal(csvCell("=SUM(A1)"), "'=SUM(A1)");
  assert.equal(csvCell("@cmd"), "'@cmd");
  assert.equal(csvCell("-2+3"), "'-2+3");
  assert.equal(csvCell(-1.5), "-1.5", "numbers are numbers, not formulas");
  assert.equal(csvCell(null), "");
  const doc = toCsv(["A", "B"], [["x,y", 1], ['"q"', null]]);
  assert.equal(doc, 'A,B\r\n"x,y",1\r\n"""q""",\r\n');
  assert.deepEqual(parseCsv(doc), [["A", "B"], ["x,y", "1"], ['"q"', ""]]);
});

Deno.test("exports: switch history CSV parses back into its switches", async () => {
  const t = await testContext("export_switches");
  const client = await t.createClient();
  const agent = await addAgent(t.db, { clientId: client.id });
  const nasty = [
    { id: 'i-"quoted",1', trigger: '=HYPERLINK("http://x")', at: "2026-11-26T10:00:00.000Z" },
    { id: "i-line\nbreak", trigger: "manual", at: "2026-11-26T11:00:00.000Z" },
    { id: "i-plain", trigger: "+model", at: "2026-11-26T12:00:00.000Z" },
  ];
  for (const [i, n] of nasty.entries()) {
    await addSwitch(t.db, {
      clientId: client.id,
      agentId: agent,
      oldInstanceId: `i-old${i}`,
      newInstanceId: n.id,
      newPoolId: "t3.medium.us-east-1b",
      trigger: n.trigger,
      savingsImpact: i === 1 ? -0.5 : 0.25 * i,
      newSpotPrice: 0.0123,
      initiatedAt: new Date(n.at),
    });
  }
  for (const token of [client.token, t.adminToken]) {
    const r = await call<string>(t, "GET", `/api/client/${client.id}/export/switch-history`, {
      token,
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-type"), "text/csv; charset=utf-8");
    assert.equal(
      r.headers.get("content-disposition"),
      `attachment; filename="client_${client.id}_switch_history.csv"`,
    );
    const rows = parseCsv(r.body);
    assert.deepEqual(rows[0], [
      "Timestamp",
      "Old Instance",
      "New Instance",
      "From Mode",
      "To Mode",
      "From Pool",
      "To Pool",
      "Trigger",
      "Price",
      "Savings Impact",
    ]);
    assert.equal(rows.length, 4);
    const expected = [...nasty].reverse().map((n) => {
      const i = nasty.indexOf(n);
      return [
        n.at,
        `i-old${i}`,
        n.id,
        "ondemand",
        "spot",
        "n/a",
        "t3.medium.us-east-1b",
        safe(n.trigger),
        "0.0123",
        String(i === 1 ? -0.5 : 0.25 * i),
      ];
    });
    assert.deepEqual(rows.slice(1), expected);
  }
  const other = await t.createClient();
  const foreign = await call(t, "GET", `/api/client/${client.id}/export/switch-history`, {
    token: other.token,
  });
  assert.equal(foreign.status, 404);
});

Deno.test("exports: savings CSV parses back into the ledger's months", async () => {
  const t = await testContext("export_savings");
  const client = await t.createClient();
  await t.db.execute(
    "INSERT INTO savings_snapshots (client_id, snapshot_date, daily_savings, would_be_cost, total_cost) VALUES (?, '2026-10-03', 4.25, 6, 1.75), (?, '2026-10-04', 1, 2, 1), (?, '2026-11-26', 2.5, 3, 0.5)",
    [client.id, client.id, client.id],
  );
  const r = await call<string>(t, "GET", `/api/client/${client.id}/export/savings`, {
    token: t.adminToken,
  });
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-disposition")!, /client_.*_savings\.csv/);
  assert.deepEqual(parseCsv(r.body), [
    ["Year", "Month", "Month Name", "On-Demand Cost", "Actual Cost", "Savings"],
    ["2026", "10", "October", "8", "2.75", "5.25"],
    ["2026", "11", "November", "3", "0.5", "2.5"],
  ]);
});

Deno.test("exports: global stats CSV lists active clients with per-table totals", async () => {
  const t = await testContext("export_global");
  const a = await t.createClient('=cmd|" /C calc"!A0, Ltd');
  const b = await t.createClient("Inactive");
  await t.db.execute("UPDATE clients SET is_active = 0 WHERE id = ?", [b.id]);
  await t.db.execute("UPDATE clients SET opening_savings = 1.5 WHERE id = ?", [a.id]);
  await t.db.execute(
    "INSERT INTO savings_snapshots (client_id, snapshot_date, daily_savings) VALUES (?, '2026-11-25', 2), (?, '2026-11-26', 3)",
    [a.id, a.id],
  );
  for (let i = 0; i < 2; i++) await addAgent(t.db, { clientId: a.id });
  const r = await call<string>(t, "GET", "/api/admin/export/global-stats", { token: t.adminToken });
  assert.equal(r.status, 200);
  assert.equal(
    r.headers.get("content-disposition"),
    'attachment; filename="global_stats_2026-11-27.csv"',
  );
  const rows = parseCsv(r.body);
  assert.deepEqual(rows[0], [
    "Client ID",
    "Name",
    "Email",
    "Total Savings",
    "Active Instances",
    "Enabled Agents",
    "Created At",
  ]);
  assert.equal(rows.length, 2, "the inactive client is not exported");
  assert.deepEqual(rows[1]!.slice(0, 6), [
    a.id,
    `'=cmd|" /C calc"!A0, Ltd`,
    `${a.id.slice(0, 8)}@example.test`,
    "6.5",
    "0",
    "2",
  ]);
  const client = await call(t, "GET", "/api/admin/export/global-stats", { token: a.token });
  assert.equal(client.status, 403);
});
