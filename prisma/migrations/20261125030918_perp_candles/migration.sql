-- CreateTable
CREATE TABLE "Candle" (
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

-- CreateIndex
CREATE UNIQUE INDEX "Candle_venue_symbol_ts_key" ON "Candle"("venue", "symbol", "ts");

