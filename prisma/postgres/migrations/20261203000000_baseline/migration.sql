-- CreateTable
CREATE TABLE "FundingPrint" (
    "id" SERIAL NOT NULL,
    "venue" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "ts" TIMESTAMP(3) NOT NULL,
    "rate" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "FundingPrint_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MarketSnapshot" (
    "id" SERIAL NOT NULL,
    "venue" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "ts" TIMESTAMP(3) NOT NULL,
    "fundingRate" DOUBLE PRECISION,
    "nextFundingTs" TIMESTAMP(3),
    "fundingIntervalHours" DOUBLE PRECISION,
    "markPrice" DOUBLE PRECISION,
    "indexPrice" DOUBLE PRECISION,
    "lastPrice" DOUBLE PRECISION,
    "bid" DOUBLE PRECISION,
    "ask" DOUBLE PRECISION,
    "baseVolume24h" DOUBLE PRECISION,
    "quoteVolume24h" DOUBLE PRECISION,
    "bookJson" TEXT,
    "spotLastPrice" DOUBLE PRECISION,
    "spotBaseVolume24h" DOUBLE PRECISION,
    "spotQuoteVolume24h" DOUBLE PRECISION,
    "openInterest" DOUBLE PRECISION,
    "openInterestValue" DOUBLE PRECISION,

    CONSTRAINT "MarketSnapshot_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Signal" (
    "id" SERIAL NOT NULL,
    "symbol" TEXT NOT NULL,
    "venue" TEXT NOT NULL,
    "ts" TIMESTAMP(3) NOT NULL,
    "direction" TEXT NOT NULL,
    "fired" BOOLEAN NOT NULL,
    "score" DOUBLE PRECISION NOT NULL,
    "confidence" DOUBLE PRECISION NOT NULL,
    "horizonHours" DOUBLE PRECISION NOT NULL,
    "explanation" TEXT NOT NULL,
    "streamsJson" TEXT NOT NULL,
    "modelVersion" TEXT NOT NULL,
    "crossConfirmed" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "Signal_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Proposal" (
    "id" TEXT NOT NULL,
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
    "leverage" DOUBLE PRECISION NOT NULL,
    "stopPrice" TEXT NOT NULL,
    "takeProfitPrice" TEXT,
    "liquidationPrice" TEXT,
    "expectedFeesUsd" TEXT,
    "expectedFundingUsd" TEXT,
    "horizonHours" DOUBLE PRECISION NOT NULL,
    "autoExecute" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "decidedAt" TIMESTAMP(3),
    "decidedBy" TEXT,
    "decidedVia" TEXT,
    "decidedByUserId" TEXT,
    "autoApproved" BOOLEAN NOT NULL DEFAULT false,
    "note" TEXT,
    "updatedAt" TIMESTAMP(3),

    CONSTRAINT "Proposal_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ChatMessage" (
    "id" SERIAL NOT NULL,
    "proposalId" TEXT NOT NULL,
    "platform" TEXT NOT NULL,
    "chatId" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 0,
    "shownHash" TEXT,

    CONSTRAINT "ChatMessage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ChatUser" (
    "platform" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ChatUser_pkey" PRIMARY KEY ("platform","userId")
);

-- CreateTable
CREATE TABLE "Chat" (
    "platform" TEXT NOT NULL,
    "chatId" TEXT NOT NULL,
    "configured" BOOLEAN NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Chat_pkey" PRIMARY KEY ("platform","chatId")
);

-- CreateTable
CREATE TABLE "ChatAlertSetting" (
    "platform" TEXT NOT NULL,
    "chatId" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ChatAlertSetting_pkey" PRIMARY KEY ("platform","chatId","event")
);

-- CreateTable
CREATE TABLE "Order" (
    "id" SERIAL NOT NULL,
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
    "sentAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3),

    CONSTRAINT "Order_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Fill" (
    "id" SERIAL NOT NULL,
    "orderId" INTEGER NOT NULL,
    "seq" INTEGER NOT NULL DEFAULT 0,
    "ts" TIMESTAMP(3) NOT NULL,
    "price" TEXT NOT NULL,
    "quantity" TEXT NOT NULL,
    "fee" TEXT NOT NULL,

    CONSTRAINT "Fill_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Position" (
    "id" SERIAL NOT NULL,
    "proposalId" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "venue" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "side" TEXT NOT NULL,
    "quantity" TEXT NOT NULL,
    "entryPrice" TEXT NOT NULL,
    "entryTs" TIMESTAMP(3) NOT NULL,
    "leverage" DOUBLE PRECISION NOT NULL,
    "marginUsd" TEXT NOT NULL,
    "stopPrice" TEXT NOT NULL,
    "takeProfitPrice" TEXT,
    "liquidationPrice" TEXT,
    "exitDueTs" TIMESTAMP(3) NOT NULL,
    "status" TEXT NOT NULL,
    "exitPrice" TEXT,
    "exitTs" TIMESTAMP(3),
    "closeReason" TEXT,
    "feesPaid" TEXT NOT NULL DEFAULT '0',
    "fundingPnl" TEXT NOT NULL DEFAULT '0',
    "realizedPnl" TEXT,

    CONSTRAINT "Position_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "FundingPayment" (
    "id" SERIAL NOT NULL,
    "positionId" INTEGER NOT NULL,
    "ts" TIMESTAMP(3) NOT NULL,
    "rate" DOUBLE PRECISION NOT NULL,
    "markPrice" TEXT NOT NULL DEFAULT '0',
    "amount" TEXT NOT NULL,

    CONSTRAINT "FundingPayment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Intent" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "payloadJson" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "dispatchedAt" TIMESTAMP(3),
    "dispatches" INTEGER NOT NULL DEFAULT 0,
    "doneAt" TIMESTAMP(3),
    "lastError" TEXT,

    CONSTRAINT "Intent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PaperOrder" (
    "clientOrderId" TEXT NOT NULL,
    "venue" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "side" TEXT NOT NULL,
    "quantity" TEXT NOT NULL,
    "price" TEXT NOT NULL,
    "fee" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "reduceOnly" BOOLEAN NOT NULL DEFAULT false,
    "ts" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PaperOrder_pkey" PRIMARY KEY ("clientOrderId")
);

-- CreateTable
CREATE TABLE "EquitySnapshot" (
    "id" SERIAL NOT NULL,
    "ts" TIMESTAMP(3) NOT NULL,
    "equity" TEXT NOT NULL,
    "peak" TEXT NOT NULL,
    "drawdown" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "EquitySnapshot_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Setting" (
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Setting_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "AuditLog" (
    "id" SERIAL NOT NULL,
    "ts" TIMESTAMP(3) NOT NULL,
    "platform" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "displayName" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT,
    "outcome" TEXT NOT NULL,
    "detail" TEXT,

    CONSTRAINT "AuditLog_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WeightSet" (
    "version" TEXT NOT NULL,
    "monthStart" TIMESTAMP(3) NOT NULL,
    "windowStart" TIMESTAMP(3) NOT NULL,
    "windowEnd" TIMESTAMP(3) NOT NULL,
    "horizonHours" DOUBLE PRECISION NOT NULL,
    "weightsJson" TEXT NOT NULL,
    "inSampleJson" TEXT NOT NULL,
    "priorsJson" TEXT NOT NULL,
    "outOfSampleJson" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "WeightSet_pkey" PRIMARY KEY ("version")
);

-- CreateTable
CREATE TABLE "SpotCandle" (
    "id" SERIAL NOT NULL,
    "venue" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "ts" TIMESTAMP(3) NOT NULL,
    "open" DOUBLE PRECISION NOT NULL,
    "high" DOUBLE PRECISION NOT NULL,
    "low" DOUBLE PRECISION NOT NULL,
    "close" DOUBLE PRECISION NOT NULL,
    "volume" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "SpotCandle_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OpenInterestPrint" (
    "id" SERIAL NOT NULL,
    "venue" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "ts" TIMESTAMP(3) NOT NULL,
    "amount" DOUBLE PRECISION,
    "value" DOUBLE PRECISION,

    CONSTRAINT "OpenInterestPrint_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BookSummary" (
    "id" SERIAL NOT NULL,
    "venue" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "ts" TIMESTAMP(3) NOT NULL,
    "bestBid" DOUBLE PRECISION NOT NULL,
    "bestAsk" DOUBLE PRECISION NOT NULL,
    "bidSize" DOUBLE PRECISION NOT NULL,
    "askSize" DOUBLE PRECISION NOT NULL,
    "depthJson" TEXT NOT NULL,
    "wallsJson" TEXT NOT NULL,

    CONSTRAINT "BookSummary_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Candle" (
    "id" SERIAL NOT NULL,
    "venue" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "ts" TIMESTAMP(3) NOT NULL,
    "open" DOUBLE PRECISION NOT NULL,
    "high" DOUBLE PRECISION NOT NULL,
    "low" DOUBLE PRECISION NOT NULL,
    "close" DOUBLE PRECISION NOT NULL,
    "volume" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "Candle_pkey" PRIMARY KEY ("id")
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
CREATE UNIQUE INDEX "Fill_orderId_seq_key" ON "Fill"("orderId", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "Position_proposalId_key" ON "Position"("proposalId");

-- CreateIndex
CREATE INDEX "Position_status_idx" ON "Position"("status");

-- CreateIndex
CREATE UNIQUE INDEX "FundingPayment_positionId_ts_key" ON "FundingPayment"("positionId", "ts");

-- CreateIndex
CREATE INDEX "Intent_status_createdAt_idx" ON "Intent"("status", "createdAt");

-- CreateIndex
CREATE INDEX "EquitySnapshot_ts_idx" ON "EquitySnapshot"("ts");

-- CreateIndex
CREATE INDEX "AuditLog_ts_idx" ON "AuditLog"("ts");

-- CreateIndex
CREATE INDEX "WeightSet_monthStart_idx" ON "WeightSet"("monthStart");

-- CreateIndex
CREATE UNIQUE INDEX "SpotCandle_venue_symbol_ts_key" ON "SpotCandle"("venue", "symbol", "ts");

-- CreateIndex
CREATE UNIQUE INDEX "OpenInterestPrint_venue_symbol_ts_key" ON "OpenInterestPrint"("venue", "symbol", "ts");

-- CreateIndex
CREATE UNIQUE INDEX "BookSummary_venue_symbol_ts_key" ON "BookSummary"("venue", "symbol", "ts");

-- CreateIndex
CREATE UNIQUE INDEX "Candle_venue_symbol_ts_key" ON "Candle"("venue", "symbol", "ts");

-- AddForeignKey
ALTER TABLE "Proposal" ADD CONSTRAINT "Proposal_signalId_fkey" FOREIGN KEY ("signalId") REFERENCES "Signal"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ChatMessage" ADD CONSTRAINT "ChatMessage_proposalId_fkey" FOREIGN KEY ("proposalId") REFERENCES "Proposal"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ChatAlertSetting" ADD CONSTRAINT "ChatAlertSetting_platform_chatId_fkey" FOREIGN KEY ("platform", "chatId") REFERENCES "Chat"("platform", "chatId") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Order" ADD CONSTRAINT "Order_proposalId_fkey" FOREIGN KEY ("proposalId") REFERENCES "Proposal"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Fill" ADD CONSTRAINT "Fill_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "Order"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Position" ADD CONSTRAINT "Position_proposalId_fkey" FOREIGN KEY ("proposalId") REFERENCES "Proposal"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FundingPayment" ADD CONSTRAINT "FundingPayment_positionId_fkey" FOREIGN KEY ("positionId") REFERENCES "Position"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

