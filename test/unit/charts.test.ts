/**
 * The chart renderer on its own: a real PNG of the asked size, decoded again with the same canvas
 * library to look at its pixels — the equity curve in the upper panel, the drawdown filled in the
 * lower one exactly when the curve fell below its peak.
 */
import { createCanvas, loadImage } from "@napi-rs/canvas";
import { describe, expect, it } from "vitest";
import { drawdownSeries, renderEquityChart, thinSeries, type EquityPoint } from "../../src/render/charts";

const T0 = Date.UTC(2026, 10, 1);
const HOUR = 3_600_000;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const series = (n: number, equity: (i: number) => number): EquityPoint[] => Array.from({ length: n }, (_, i) => ({ ts: T0 + i * HOUR, equity: equity(i) }));
/** Rises to 11,000, falls 20% to 8,800, recovers part of it. */
const withDrawdown = series(300, (i) => (i < 100 ? 10_000 + i * 10 : i < 200 ? 11_000 - (i - 100) * 22 : 8_800 + (i - 200) * 10));
const rising = series(300, (i) => 10_000 + i * 5);

async function pixels(png: Buffer): Promise<{ width: number; height: number; at: (x: number, y: number) => [number, number, number] }> {
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(image, 0, 0);
  const data = ctx.getImageData(0, 0, image.width, image.height).data;
  return {
    width: image.width, height: image.height,
    at: (x, y) => { const i = (y * image.width + x) * 4; return [data[i] ?? 0, data[i + 1] ?? 0, data[i + 2] ?? 0]; },
  };
}

/** Pixels of the translucent red drawdown fill over white, in rows [fromY, toY) of the image. */
async function countPixels(png: Buffer, rows: [number, number], match: (rgb: [number, number, number]) => boolean): Promise<number> {
  const img = await pixels(png);
  let count = 0;
  for (let y = Math.floor(rows[0] * img.height); y < Math.floor(rows[1] * img.height); y += 1) {
    for (let x = 0; x < img.width; x += 1) if (match(img.at(x, y))) count += 1;
  }
  return count;
}
const drawdownFill = ([r, g, b]: [number, number, number]) => r > 215 && g > 150 && g < 205 && b > 150 && b < 205 && r - g > 30;
const equityBlue = ([r, , b]: [number, number, number]) => b > 150 && b - r > 80;

describe("drawdownSeries", () => {
  it("is the percent below the running peak, zero at each new high", () => {
    const dd = drawdownSeries([{ ts: 1, equity: 100 }, { ts: 2, equity: 90 }, { ts: 3, equity: 120 }, { ts: 4, equity: 108 }]);
    expect(dd.map((p) => Number(p.percent.toFixed(6)))).toEqual([0, 10, 0, 10]);
  });

  it("measures from a recorded peak above the window (the account's own drawdown)", () => {
    const dd = drawdownSeries([{ ts: 1, equity: 95, peak: 100 }, { ts: 2, equity: 90, peak: 100 }]);
    expect(dd.map((p) => Number(p.percent.toFixed(6)))).toEqual([5, 10]);
  });
});

describe("thinSeries", () => {
  it("keeps the first, last, lowest and highest value of every bucket, in time order", () => {
    const long = series(100_000, (i) => (i === 54_321 ? 1 : i === 12_345 ? 99_999 : 10_000 + (i % 7)));
    const thin = thinSeries(long, (p) => p.equity, 500);
    expect(thin.length).toBeLessThanOrEqual(2_000);
    expect(thin[0]).toBe(long[0]);
    expect(thin.at(-1)).toBe(long.at(-1));
    expect(thin.map((p) => p.equity)).toContain(1);
    expect(thin.map((p) => p.equity)).toContain(99_999);
    expect(thin.every((p, i) => i === 0 || (thin[i - 1]?.ts ?? 0) < p.ts)).toBe(true);
  });
});

describe("renderEquityChart", () => {
  it("draws a 1200×700 PNG: equity above, the drawdown filled below", async () => {
    const png = await renderEquityChart({ points: withDrawdown, title: "equity", subtitle: "test", drawdownMarks: [{ percent: 5, label: "5%" }, { percent: 10, label: "10%" }] });
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(png.subarray(12, 16).toString("latin1")).toBe("IHDR");
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1200, 700]);
    expect(png.length).toBeGreaterThan(20_000);
    // The lower panel (about the bottom quarter, above the time axis) is filled; the upper one holds the blue curve.
    expect(await countPixels(png, [0.7, 0.9], drawdownFill)).toBeGreaterThan(5_000);
    expect(await countPixels(png, [0.15, 0.65], equityBlue)).toBeGreaterThan(500);
    expect(await countPixels(png, [0.15, 0.65], drawdownFill)).toBe(0);
  });

  it("a curve that never falls has an empty drawdown panel, and a different image", async () => {
    const [falling, flat] = await Promise.all([renderEquityChart({ points: withDrawdown, title: "equity" }), renderEquityChart({ points: rising, title: "equity" })]);
    // Only the anti-aliased edge of the red line along 0% blends to the fill's colour.
    expect(await countPixels(flat, [0.7, 0.9], drawdownFill)).toBeLessThan(300);
    expect(flat.equals(falling)).toBe(false);
  });

  it("is opaque white behind the chart (dark chat themes would show a transparent PNG black)", async () => {
    const img = await pixels(await renderEquityChart({ points: rising, title: "equity" }));
    expect(img.at(2, 2)).toEqual([255, 255, 255]);
    expect(img.at(img.width - 3, img.height - 3)).toEqual([255, 255, 255]);
  });

  it("takes another size, and refuses fewer than two points", async () => {
    const png = await renderEquityChart({ points: rising, title: "small", width: 640, height: 400 });
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([640, 400]);
    await expect(renderEquityChart({ points: rising.slice(0, 1), title: "one" })).rejects.toThrow(/at least two points/);
  });
});
