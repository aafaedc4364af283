-- CreateTable
CREATE TABLE "WeightSet" (
    "version" TEXT NOT NULL PRIMARY KEY,
    "monthStart" DATETIME NOT NULL,
    "windowStart" DATETIME NOT NULL,
    "windowEnd" DATETIME NOT NULL,
    "horizonHours" REAL NOT NULL,
    "weightsJson" TEXT NOT NULL,
    "inSampleJson" TEXT NOT NULL,
    "priorsJson" TEXT NOT NULL,
    "outOfSampleJson" TEXT,
    "createdAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "WeightSet_monthStart_idx" ON "WeightSet"("monthStart");

