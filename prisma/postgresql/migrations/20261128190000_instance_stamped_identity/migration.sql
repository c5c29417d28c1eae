-- AlterTable
ALTER TABLE "Instance" ADD COLUMN     "stampedIdentity" TEXT NOT NULL DEFAULT '';

