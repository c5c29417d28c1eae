-- AlterTable
ALTER TABLE "Instance" ADD COLUMN "purgedAt" DATETIME;

-- CreateTable
CREATE TABLE "CatalogItemVersion" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "itemId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "snapshot" TEXT NOT NULL,
    "changedById" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "CatalogItemVersion_itemId_fkey" FOREIGN KEY ("itemId") REFERENCES "CatalogItem" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "RoutingRule" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "sortOrder" INTEGER NOT NULL DEFAULT 0,
    "currentVersion" INTEGER NOT NULL DEFAULT 1,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "RoutingRuleVersion" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "ruleId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "facilityCode" TEXT NOT NULL DEFAULT '',
    "departmentCode" TEXT NOT NULL DEFAULT '',
    "catalogItemId" TEXT NOT NULL DEFAULT '',
    "modality" TEXT NOT NULL DEFAULT '',
    "sopClassUid" TEXT NOT NULL DEFAULT '',
    "issuerOfPatientId" TEXT NOT NULL DEFAULT '',
    "institutionName" TEXT NOT NULL DEFAULT '',
    "institutionDepartmentName" TEXT NOT NULL DEFAULT '',
    "sourceSystemCode" TEXT NOT NULL DEFAULT '',
    "createdById" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "RoutingRuleVersion_ruleId_fkey" FOREIGN KEY ("ruleId") REFERENCES "RoutingRule" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "RoutingRuleTarget" (
    "versionId" TEXT NOT NULL,
    "destinationId" TEXT NOT NULL,

    PRIMARY KEY ("versionId", "destinationId"),
    CONSTRAINT "RoutingRuleTarget_versionId_fkey" FOREIGN KEY ("versionId") REFERENCES "RoutingRuleVersion" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "RoutingRuleTarget_destinationId_fkey" FOREIGN KEY ("destinationId") REFERENCES "Destination" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

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
    "laterality" TEXT NOT NULL DEFAULT '',
    "mappedCode" TEXT NOT NULL DEFAULT '',
    "mappedScheme" TEXT NOT NULL DEFAULT '',
    "mappedMeaning" TEXT NOT NULL DEFAULT '',
    "allowedMedia" TEXT NOT NULL DEFAULT 'photo,video',
    "routingRuleId" TEXT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "sortOrder" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "CatalogItem_departmentId_fkey" FOREIGN KEY ("departmentId") REFERENCES "Department" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "CatalogItem_routingRuleId_fkey" FOREIGN KEY ("routingRuleId") REFERENCES "RoutingRule" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_CatalogItem" ("active", "bodySiteCode", "code", "createdAt", "departmentId", "id", "meaning", "modality", "requireBodySite", "scheme", "sortOrder") SELECT "active", "bodySiteCode", "code", "createdAt", "departmentId", "id", "meaning", "modality", "requireBodySite", "scheme", "sortOrder" FROM "CatalogItem";
DROP TABLE "CatalogItem";
ALTER TABLE "new_CatalogItem" RENAME TO "CatalogItem";
CREATE UNIQUE INDEX "CatalogItem_departmentId_code_scheme_key" ON "CatalogItem"("departmentId", "code", "scheme");
CREATE TABLE "new_Study" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "studyInstanceUid" TEXT NOT NULL,
    "encounterId" TEXT NOT NULL,
    "patientId" TEXT NOT NULL,
    "catalogItemId" TEXT NOT NULL,
    "operatorId" TEXT NOT NULL,
    "studyDescription" TEXT NOT NULL,
    "catalogVersion" INTEGER NOT NULL DEFAULT 1,
    "consent" TEXT NOT NULL DEFAULT '',
    "sensitive" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Study_encounterId_fkey" FOREIGN KEY ("encounterId") REFERENCES "Encounter" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Study_patientId_fkey" FOREIGN KEY ("patientId") REFERENCES "Patient" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Study_catalogItemId_fkey" FOREIGN KEY ("catalogItemId") REFERENCES "CatalogItem" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Study_operatorId_fkey" FOREIGN KEY ("operatorId") REFERENCES "User" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_Study" ("catalogItemId", "createdAt", "encounterId", "id", "operatorId", "patientId", "studyDescription", "studyInstanceUid") SELECT "catalogItemId", "createdAt", "encounterId", "id", "operatorId", "patientId", "studyDescription", "studyInstanceUid" FROM "Study";
DROP TABLE "Study";
ALTER TABLE "new_Study" RENAME TO "Study";
CREATE UNIQUE INDEX "Study_studyInstanceUid_key" ON "Study"("studyInstanceUid");
CREATE INDEX "Study_encounterId_idx" ON "Study"("encounterId");
CREATE INDEX "Study_patientId_idx" ON "Study"("patientId");
CREATE TABLE "new_Destination" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL DEFAULT 'stow-rs',
    "url" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "authType" TEXT NOT NULL DEFAULT 'none',
    "authUsername" TEXT NOT NULL DEFAULT '',
    "authSecret" TEXT NOT NULL DEFAULT '',
    "caCertPem" TEXT NOT NULL DEFAULT '',
    "maxParallel" INTEGER NOT NULL DEFAULT 8,
    "verifyWithQido" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO "new_Destination" ("createdAt", "enabled", "id", "kind", "name", "url") SELECT "createdAt", "enabled", "id", "kind", "name", "url" FROM "Destination";
DROP TABLE "Destination";
ALTER TABLE "new_Destination" RENAME TO "Destination";
CREATE UNIQUE INDEX "Destination_name_key" ON "Destination"("name");
CREATE TABLE "new_DeliveryJob" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "instanceId" TEXT NOT NULL,
    "destinationId" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "leaseUntil" DATETIME,
    "lockedBy" TEXT,
    "lastError" TEXT NOT NULL DEFAULT '',
    "ruleVersionId" TEXT,
    "origin" TEXT NOT NULL DEFAULT 'routed',
    "storedAt" DATETIME,
    "verifiedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "DeliveryJob_instanceId_fkey" FOREIGN KEY ("instanceId") REFERENCES "Instance" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "DeliveryJob_destinationId_fkey" FOREIGN KEY ("destinationId") REFERENCES "Destination" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "DeliveryJob_ruleVersionId_fkey" FOREIGN KEY ("ruleVersionId") REFERENCES "RoutingRuleVersion" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_DeliveryJob" ("attempts", "createdAt", "destinationId", "id", "instanceId", "lastError", "leaseUntil", "lockedBy", "nextAttemptAt", "status", "storedAt", "updatedAt") SELECT "attempts", "createdAt", "destinationId", "id", "instanceId", "lastError", "leaseUntil", "lockedBy", "nextAttemptAt", "status", "storedAt", "updatedAt" FROM "DeliveryJob";
DROP TABLE "DeliveryJob";
ALTER TABLE "new_DeliveryJob" RENAME TO "DeliveryJob";
CREATE INDEX "DeliveryJob_status_nextAttemptAt_idx" ON "DeliveryJob"("status", "nextAttemptAt");
CREATE UNIQUE INDEX "DeliveryJob_instanceId_destinationId_key" ON "DeliveryJob"("instanceId", "destinationId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "CatalogItemVersion_itemId_version_key" ON "CatalogItemVersion"("itemId", "version");

-- CreateIndex
CREATE UNIQUE INDEX "RoutingRule_name_key" ON "RoutingRule"("name");

-- CreateIndex
CREATE UNIQUE INDEX "RoutingRuleVersion_ruleId_version_key" ON "RoutingRuleVersion"("ruleId", "version");

-- CreateIndex
CREATE INDEX "AuditEvent_userId_at_idx" ON "AuditEvent"("userId", "at");

