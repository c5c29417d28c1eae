-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_CatalogItem" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "departmentId" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "scheme" TEXT NOT NULL,
    "meaning" TEXT NOT NULL,
    "modality" TEXT NOT NULL DEFAULT 'XC',
    "bodySiteCode" TEXT NOT NULL DEFAULT '',
    "requireBodySite" BOOLEAN NOT NULL DEFAULT false,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "sortOrder" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "CatalogItem_departmentId_fkey" FOREIGN KEY ("departmentId") REFERENCES "Department" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_CatalogItem" ("active", "code", "createdAt", "departmentId", "id", "meaning", "modality", "scheme", "sortOrder") SELECT "active", "code", "createdAt", "departmentId", "id", "meaning", "modality", "scheme", "sortOrder" FROM "CatalogItem";
DROP TABLE "CatalogItem";
ALTER TABLE "new_CatalogItem" RENAME TO "CatalogItem";
CREATE UNIQUE INDEX "CatalogItem_departmentId_code_scheme_key" ON "CatalogItem"("departmentId", "code", "scheme");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

