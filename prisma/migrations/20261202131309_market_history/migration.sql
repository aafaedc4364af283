-- AlterTable
ALTER TABLE "MarketSnapshot" ADD COLUMN "openInterest" REAL;
ALTER TABLE "MarketSnapshot" ADD COLUMN "openInterestValue" REAL;
ALTER TABLE "MarketSnapshot" ADD COLUMN "spotBaseVolume24h" REAL;
ALTER TABLE "MarketSnapshot" ADD COLUMN "spotLastPrice" REAL;
ALTER TABLE "MarketSnapshot" ADD COLUMN "spotQuoteVolume24h" REAL;

-- CreateTable
CREATE TABLE "SpotCandle" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "venue" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "ts" DATETIME NOT NULL,
    "open" REAL NOT NULL,
    "high" REAL NOT NULL,
    "low" REAL NOT NULL,
    "close" REAL NOT NULL,
    "volume" REAL NOT NULL
);

-- CreateTable
CREATE TABLE "OpenInterestPrint" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "venue" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "ts" DATETIME NOT NULL,
    "amount" REAL,
    "value" REAL
);

-- CreateTable
CREATE TABLE "BookSummary" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "venue" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "ts" DATETIME NOT NULL,
    "bestBid" REAL NOT NULL,
    "bestAsk" REAL NOT NULL,
    "bidSize" REAL NOT NULL,
    "askSize" REAL NOT NULL,
    "depthJson" TEXT NOT NULL,
    "wallsJson" TEXT NOT NULL
);

-- CreateIndex
CREATE UNIQUE INDEX "SpotCandle_venue_symbol_ts_key" ON "SpotCandle"("venue", "symbol", "ts");

-- CreateIndex
CREATE UNIQUE INDEX "OpenInterestPrint_venue_symbol_ts_key" ON "OpenInterestPrint"("venue", "symbol", "ts");

-- CreateIndex
CREATE UNIQUE INDEX "BookSummary_venue_symbol_ts_key" ON "BookSummary"("venue", "symbol", "ts");

