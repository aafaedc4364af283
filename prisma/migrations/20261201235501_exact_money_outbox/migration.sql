-- CreateTable
CREATE TABLE "Intent" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "payloadJson" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "dispatchedAt" DATETIME,
    "dispatches" INTEGER NOT NULL DEFAULT 0,
    "doneAt" DATETIME,
    "lastError" TEXT
);

-- CreateTable
CREATE TABLE "PaperOrder" (
    "clientOrderId" TEXT NOT NULL PRIMARY KEY,
    "venue" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "side" TEXT NOT NULL,
    "quantity" TEXT NOT NULL,
    "price" TEXT NOT NULL,
    "fee" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "reduceOnly" BOOLEAN NOT NULL DEFAULT false,
    "ts" DATETIME NOT NULL
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Proposal" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "signalId" INTEGER,
    "symbol" TEXT NOT NULL,
    "venue" TEXT NOT NULL,
    "side" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 0,
    "refPrice" TEXT NOT NULL,
    "quantity" TEXT NOT NULL,
    "notionalUsd" TEXT NOT NULL,
    "marginUsd" TEXT NOT NULL,
    "leverage" REAL NOT NULL,
    "stopPrice" TEXT NOT NULL,
    "takeProfitPrice" TEXT,
    "liquidationPrice" TEXT,
    "expectedFeesUsd" TEXT,
    "expectedFundingUsd" TEXT,
    "horizonHours" REAL NOT NULL,
    "autoExecute" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" DATETIME NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "decidedAt" DATETIME,
    "decidedBy" TEXT,
    "autoApproved" BOOLEAN NOT NULL DEFAULT false,
    "note" TEXT,
    "updatedAt" DATETIME,
    CONSTRAINT "Proposal_signalId_fkey" FOREIGN KEY ("signalId") REFERENCES "Signal" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Proposal" ("createdAt", "decidedAt", "decidedBy", "expiresAt", "horizonHours", "id", "leverage", "marginUsd", "note", "notionalUsd", "quantity", "refPrice", "side", "signalId", "status", "stopPrice", "symbol", "venue") SELECT "createdAt", "decidedAt", "decidedBy", "expiresAt", "horizonHours", "id", "leverage", "marginUsd", "note", "notionalUsd", "quantity", "refPrice", "side", "signalId", "status", "stopPrice", "symbol", "venue" FROM "Proposal";
DROP TABLE "Proposal";
ALTER TABLE "new_Proposal" RENAME TO "Proposal";
CREATE INDEX "Proposal_status_idx" ON "Proposal"("status");
CREATE INDEX "Proposal_symbol_status_idx" ON "Proposal"("symbol", "status");
CREATE TABLE "new_ChatMessage" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "proposalId" TEXT NOT NULL,
    "platform" TEXT NOT NULL,
    "chatId" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "ChatMessage_proposalId_fkey" FOREIGN KEY ("proposalId") REFERENCES "Proposal" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_ChatMessage" ("chatId", "id", "messageId", "platform", "proposalId") SELECT "chatId", "id", "messageId", "platform", "proposalId" FROM "ChatMessage";
DROP TABLE "ChatMessage";
ALTER TABLE "new_ChatMessage" RENAME TO "ChatMessage";
CREATE UNIQUE INDEX "ChatMessage_platform_chatId_messageId_key" ON "ChatMessage"("platform", "chatId", "messageId");
CREATE TABLE "new_Order" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "clientOrderId" TEXT NOT NULL,
    "exchangeOrderId" TEXT,
    "proposalId" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "venue" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "side" TEXT NOT NULL,
    "requestedQty" TEXT NOT NULL,
    "filledQty" TEXT NOT NULL DEFAULT '0',
    "avgPrice" TEXT,
    "fee" TEXT NOT NULL DEFAULT '0',
    "status" TEXT NOT NULL,
    "lastError" TEXT,
    "createdAt" DATETIME NOT NULL,
    "updatedAt" DATETIME,
    CONSTRAINT "Order_proposalId_fkey" FOREIGN KEY ("proposalId") REFERENCES "Proposal" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
-- Hand-written: the old Float quantity becomes the requested (and, for filled orders, the filled)
-- quantity; the average price and fee come from the order's one fill. REAL → TEXT keeps 15
-- significant digits, which is what the Float columns held.
INSERT INTO "new_Order" ("clientOrderId", "createdAt", "id", "mode", "proposalId", "purpose", "side", "status", "symbol", "venue", "requestedQty", "filledQty", "avgPrice", "fee")
SELECT o."clientOrderId", o."createdAt", o."id", o."mode", o."proposalId", o."purpose", o."side", o."status", o."symbol", o."venue",
  CAST(o."quantity" AS TEXT),
  CASE WHEN o."status" = 'filled' THEN CAST(o."quantity" AS TEXT) ELSE '0' END,
  (SELECT CAST(f."price" AS TEXT) FROM "Fill" f WHERE f."orderId" = o."id" ORDER BY f."id" LIMIT 1),
  COALESCE((SELECT CAST(SUM(f."fee") AS TEXT) FROM "Fill" f WHERE f."orderId" = o."id"), '0')
FROM "Order" o;
DROP TABLE "Order";
ALTER TABLE "new_Order" RENAME TO "Order";
CREATE UNIQUE INDEX "Order_clientOrderId_key" ON "Order"("clientOrderId");
CREATE TABLE "new_Fill" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "orderId" INTEGER NOT NULL,
    "seq" INTEGER NOT NULL DEFAULT 0,
    "ts" DATETIME NOT NULL,
    "price" TEXT NOT NULL,
    "quantity" TEXT NOT NULL,
    "fee" TEXT NOT NULL,
    CONSTRAINT "Fill_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "Order" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
-- Hand-written: number each order's fills in id order, so (orderId, seq) is unique.
INSERT INTO "new_Fill" ("fee", "id", "orderId", "price", "quantity", "ts", "seq")
SELECT "fee", "id", "orderId", "price", "quantity", "ts", (SELECT COUNT(*) FROM "Fill" g WHERE g."orderId" = f."orderId" AND g."id" < f."id") FROM "Fill" f;
DROP TABLE "Fill";
ALTER TABLE "new_Fill" RENAME TO "Fill";
CREATE UNIQUE INDEX "Fill_orderId_seq_key" ON "Fill"("orderId", "seq");
CREATE TABLE "new_Position" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "proposalId" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "venue" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "side" TEXT NOT NULL,
    "quantity" TEXT NOT NULL,
    "entryPrice" TEXT NOT NULL,
    "entryTs" DATETIME NOT NULL,
    "leverage" REAL NOT NULL,
    "marginUsd" TEXT NOT NULL,
    "stopPrice" TEXT NOT NULL,
    "takeProfitPrice" TEXT,
    "liquidationPrice" TEXT,
    "exitDueTs" DATETIME NOT NULL,
    "status" TEXT NOT NULL,
    "exitPrice" TEXT,
    "exitTs" DATETIME,
    "closeReason" TEXT,
    "feesPaid" TEXT NOT NULL DEFAULT '0',
    "fundingPnl" TEXT NOT NULL DEFAULT '0',
    "realizedPnl" TEXT,
    CONSTRAINT "Position_proposalId_fkey" FOREIGN KEY ("proposalId") REFERENCES "Proposal" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_Position" ("closeReason", "entryPrice", "entryTs", "exitDueTs", "exitPrice", "exitTs", "feesPaid", "fundingPnl", "id", "leverage", "marginUsd", "mode", "proposalId", "quantity", "realizedPnl", "side", "status", "stopPrice", "symbol", "venue") SELECT "closeReason", "entryPrice", "entryTs", "exitDueTs", "exitPrice", "exitTs", "feesPaid", "fundingPnl", "id", "leverage", "marginUsd", "mode", "proposalId", "quantity", "realizedPnl", "side", "status", "stopPrice", "symbol", "venue" FROM "Position";
DROP TABLE "Position";
ALTER TABLE "new_Position" RENAME TO "Position";
CREATE UNIQUE INDEX "Position_proposalId_key" ON "Position"("proposalId");
CREATE INDEX "Position_status_idx" ON "Position"("status");
CREATE TABLE "new_FundingPayment" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "positionId" INTEGER NOT NULL,
    "ts" DATETIME NOT NULL,
    "rate" REAL NOT NULL,
    "markPrice" TEXT NOT NULL DEFAULT '0',
    "amount" TEXT NOT NULL,
    CONSTRAINT "FundingPayment_positionId_fkey" FOREIGN KEY ("positionId") REFERENCES "Position" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_FundingPayment" ("amount", "id", "positionId", "rate", "ts") SELECT "amount", "id", "positionId", "rate", "ts" FROM "FundingPayment";
DROP TABLE "FundingPayment";
ALTER TABLE "new_FundingPayment" RENAME TO "FundingPayment";
CREATE UNIQUE INDEX "FundingPayment_positionId_ts_key" ON "FundingPayment"("positionId", "ts");
CREATE TABLE "new_EquitySnapshot" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "ts" DATETIME NOT NULL,
    "equity" TEXT NOT NULL,
    "peak" TEXT NOT NULL,
    "drawdown" REAL NOT NULL
);
INSERT INTO "new_EquitySnapshot" ("drawdown", "equity", "id", "peak", "ts") SELECT "drawdown", "equity", "id", "peak", "ts" FROM "EquitySnapshot";
DROP TABLE "EquitySnapshot";
ALTER TABLE "new_EquitySnapshot" RENAME TO "EquitySnapshot";
CREATE INDEX "EquitySnapshot_ts_idx" ON "EquitySnapshot"("ts");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "Intent_status_createdAt_idx" ON "Intent"("status", "createdAt");

