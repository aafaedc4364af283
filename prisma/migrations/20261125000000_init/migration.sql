-- CreateTable
CREATE TABLE "FundingPrint" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "venue" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "ts" DATETIME NOT NULL,
    "rate" REAL NOT NULL
);

-- CreateTable
CREATE TABLE "MarketSnapshot" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "venue" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "ts" DATETIME NOT NULL,
    "fundingRate" REAL,
    "nextFundingTs" DATETIME,
    "fundingIntervalHours" REAL,
    "markPrice" REAL,
    "indexPrice" REAL,
    "lastPrice" REAL,
    "bid" REAL,
    "ask" REAL,
    "baseVolume24h" REAL,
    "quoteVolume24h" REAL,
    "bookJson" TEXT
);

-- CreateTable
CREATE TABLE "Signal" (
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
    "modelVersion" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "Proposal" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "signalId" INTEGER,
    "symbol" TEXT NOT NULL,
    "venue" TEXT NOT NULL,
    "side" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "refPrice" REAL NOT NULL,
    "quantity" REAL NOT NULL,
    "notionalUsd" REAL NOT NULL,
    "marginUsd" REAL NOT NULL,
    "leverage" REAL NOT NULL,
    "stopPrice" REAL NOT NULL,
    "horizonHours" REAL NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "decidedAt" DATETIME,
    "decidedBy" TEXT,
    "note" TEXT,
    CONSTRAINT "Proposal_signalId_fkey" FOREIGN KEY ("signalId") REFERENCES "Signal" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ChatMessage" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "proposalId" TEXT NOT NULL,
    "platform" TEXT NOT NULL,
    "chatId" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    CONSTRAINT "ChatMessage_proposalId_fkey" FOREIGN KEY ("proposalId") REFERENCES "Proposal" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Order" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "clientOrderId" TEXT NOT NULL,
    "proposalId" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "venue" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "side" TEXT NOT NULL,
    "quantity" REAL NOT NULL,
    "status" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    CONSTRAINT "Order_proposalId_fkey" FOREIGN KEY ("proposalId") REFERENCES "Proposal" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Fill" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "orderId" INTEGER NOT NULL,
    "ts" DATETIME NOT NULL,
    "price" REAL NOT NULL,
    "quantity" REAL NOT NULL,
    "fee" REAL NOT NULL,
    CONSTRAINT "Fill_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "Order" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Position" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "proposalId" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "venue" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "side" TEXT NOT NULL,
    "quantity" REAL NOT NULL,
    "entryPrice" REAL NOT NULL,
    "entryTs" DATETIME NOT NULL,
    "leverage" REAL NOT NULL,
    "marginUsd" REAL NOT NULL,
    "stopPrice" REAL NOT NULL,
    "exitDueTs" DATETIME NOT NULL,
    "status" TEXT NOT NULL,
    "exitPrice" REAL,
    "exitTs" DATETIME,
    "closeReason" TEXT,
    "feesPaid" REAL NOT NULL DEFAULT 0,
    "fundingPnl" REAL NOT NULL DEFAULT 0,
    "realizedPnl" REAL,
    CONSTRAINT "Position_proposalId_fkey" FOREIGN KEY ("proposalId") REFERENCES "Proposal" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "FundingPayment" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "positionId" INTEGER NOT NULL,
    "ts" DATETIME NOT NULL,
    "rate" REAL NOT NULL,
    "amount" REAL NOT NULL,
    CONSTRAINT "FundingPayment_positionId_fkey" FOREIGN KEY ("positionId") REFERENCES "Position" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "EquitySnapshot" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "ts" DATETIME NOT NULL,
    "equity" REAL NOT NULL,
    "peak" REAL NOT NULL,
    "drawdown" REAL NOT NULL
);

-- CreateTable
CREATE TABLE "Setting" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "value" TEXT NOT NULL,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "AuditLog" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "ts" DATETIME NOT NULL,
    "platform" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "displayName" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT,
    "outcome" TEXT NOT NULL,
    "detail" TEXT
);

-- CreateIndex
CREATE INDEX "FundingPrint_symbol_ts_idx" ON "FundingPrint"("symbol", "ts");

-- CreateIndex
CREATE UNIQUE INDEX "FundingPrint_venue_symbol_ts_key" ON "FundingPrint"("venue", "symbol", "ts");

-- CreateIndex
CREATE INDEX "MarketSnapshot_symbol_ts_idx" ON "MarketSnapshot"("symbol", "ts");

-- CreateIndex
CREATE INDEX "MarketSnapshot_venue_symbol_ts_idx" ON "MarketSnapshot"("venue", "symbol", "ts");

-- CreateIndex
CREATE INDEX "Signal_symbol_ts_idx" ON "Signal"("symbol", "ts");

-- CreateIndex
CREATE INDEX "Proposal_status_idx" ON "Proposal"("status");

-- CreateIndex
CREATE INDEX "Proposal_symbol_status_idx" ON "Proposal"("symbol", "status");

-- CreateIndex
CREATE UNIQUE INDEX "ChatMessage_platform_chatId_messageId_key" ON "ChatMessage"("platform", "chatId", "messageId");

-- CreateIndex
CREATE UNIQUE INDEX "Order_clientOrderId_key" ON "Order"("clientOrderId");

-- CreateIndex
CREATE UNIQUE INDEX "Position_proposalId_key" ON "Position"("proposalId");

-- CreateIndex
CREATE INDEX "Position_status_idx" ON "Position"("status");

-- CreateIndex
CREATE UNIQUE INDEX "FundingPayment_positionId_ts_key" ON "FundingPayment"("positionId", "ts");

-- CreateIndex
CREATE INDEX "EquitySnapshot_ts_idx" ON "EquitySnapshot"("ts");

-- CreateIndex
CREATE INDEX "AuditLog_ts_idx" ON "AuditLog"("ts");
