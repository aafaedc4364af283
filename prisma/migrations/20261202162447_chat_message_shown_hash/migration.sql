-- AlterTable
ALTER TABLE "ChatMessage" ADD COLUMN "shownHash" TEXT;

