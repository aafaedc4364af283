-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Signal" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "symbol" TEXT NOT NULL,
    "venue" TEXT NOT NULL,
    "ts" DATETIME NOT NULL,
    "direction" TEXT NOT NULL,
    "fired" BOOLEAN NOT NULL,
    "score" REAL NOT NULL,
    "confidence" REAL NOT NULL,
    "horizonHours" REAL NOT NULL,
    "explanation" TEXT NOT NULL,
    "streamsJson" TEXT NOT NULL,
    "modelVersion" TEXT NOT NULL,
    "crossConfirmed" BOOLEAN NOT NULL DEFAULT false
);
INSERT INTO "new_Signal" ("confidence", "direction", "explanation", "fired", "horizonHours", "id", "modelVersion", "score", "streamsJson", "symbol", "ts", "venue") SELECT "confidence", "direction", "explanation", "fired", "horizonHours", "id", "modelVersion", "score", "streamsJson", "symbol", "ts", "venue" FROM "Signal";
DROP TABLE "Signal";
ALTER TABLE "new_Signal" RENAME TO "Signal";
CREATE INDEX "Signal_symbol_ts_idx" ON "Signal"("symbol", "ts");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

