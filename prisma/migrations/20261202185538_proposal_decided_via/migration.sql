-- AlterTable
ALTER TABLE "Proposal" ADD COLUMN "decidedByUserId" TEXT;
ALTER TABLE "Proposal" ADD COLUMN "decidedVia" TEXT;

