import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, transact, type Db } from "../../src/store/database";
import { dropTestDatabase, ownPostgresSchemaUrl } from "../support/test-database";

/**
 * What the code relies on from SQLite's single writer must hold on PostgreSQL too: two processes
 * that both read "not there yet" and then insert the same key must not both insert or fail; one
 * is refused by the server and `transact` runs it again, when it sees the other's row. Runs on the
 * PostgreSQL server the CI machines have, whichever database the rest of the suite uses.
 */

const url = ownPostgresSchemaUrl("tx");
const open: Db[] = [];
afterAll(async () => {
  await Promise.all(open.map((db) => db.$disconnect()));
  await dropTestDatabase(url);
});

describe("transact on PostgreSQL", () => {
  it("runs a read-then-insert that raced another one again, so exactly one inserts and neither fails", async () => {
    const [a, b] = [await openDatabase(url), await openDatabase(url)];
    open.push(a, b);
    let arrived = 0;
    let release = (): void => {};
    const bothHaveRead = new Promise<void>((resolve) => { release = resolve; });
    let bodies = 0;
    const claim = (db: Db, who: string): Promise<string> => transact(db, async (tx) => {
      bodies += 1;
      const existing = await tx.setting.findUnique({ where: { key: "claim" } });
      arrived += 1;
      if (arrived === 2) release();
      await bothHaveRead; // the first time round both have read "not there" before either writes
      if (existing !== null) return `${who} saw ${existing.value}`;
      await tx.setting.create({ data: { key: "claim", value: who } });
      return `${who} inserted`;
    });
    const outcomes = (await Promise.all([claim(a, "a"), claim(b, "b")])).sort();
    const winner = (await a.setting.findUniqueOrThrow({ where: { key: "claim" } })).value;
    const loser = winner === "a" ? "b" : "a";
    expect(outcomes).toEqual([`${winner} inserted`, `${loser} saw ${winner}`].sort());
    expect(bodies).toBeGreaterThanOrEqual(3); // the loser's body ran again
  }, 60_000);
});
