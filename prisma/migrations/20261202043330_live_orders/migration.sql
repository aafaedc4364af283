-- AlterTable
ALTER TABLE "Order" ADD COLUMN "sentAt" DATETIME;

