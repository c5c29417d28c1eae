-- AlterTable
ALTER TABLE "CatalogItem" ADD COLUMN     "bodySiteCode" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "requireBodySite" BOOLEAN NOT NULL DEFAULT false;

