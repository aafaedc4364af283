-- CreateTable
CREATE TABLE "Chat" (
    "platform" TEXT NOT NULL,
    "chatId" TEXT NOT NULL,
    "configured" BOOLEAN NOT NULL,
    "updatedAt" DATETIME NOT NULL,

    PRIMARY KEY ("platform", "chatId")
);

-- CreateTable
CREATE TABLE "ChatAlertSetting" (
    "platform" TEXT NOT NULL,
    "chatId" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "updatedAt" DATETIME NOT NULL,

    PRIMARY KEY ("platform", "chatId", "event"),
    CONSTRAINT "ChatAlertSetting_platform_chatId_fkey" FOREIGN KEY ("platform", "chatId") REFERENCES "Chat" ("platform", "chatId") ON DELETE CASCADE ON UPDATE CASCADE
);

