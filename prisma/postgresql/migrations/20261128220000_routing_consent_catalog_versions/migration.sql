-- AlterTable
ALTER TABLE "CatalogItem" ADD COLUMN     "allowedMedia" TEXT NOT NULL DEFAULT 'photo,video',
ADD COLUMN     "laterality" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "mappedCode" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "mappedMeaning" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "mappedScheme" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "routingRuleId" TEXT,
ADD COLUMN     "version" INTEGER NOT NULL DEFAULT 1;

-- AlterTable
ALTER TABLE "Study" ADD COLUMN     "catalogVersion" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN     "consent" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "sensitive" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "Instance" ADD COLUMN     "purgedAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Destination" ADD COLUMN     "authSecret" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "authType" TEXT NOT NULL DEFAULT 'none',
ADD COLUMN     "authUsername" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "caCertPem" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "maxParallel" INTEGER NOT NULL DEFAULT 8,
ADD COLUMN     "verifyWithQido" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "DeliveryJob" ADD COLUMN     "origin" TEXT NOT NULL DEFAULT 'routed',
ADD COLUMN     "ruleVersionId" TEXT,
ADD COLUMN     "verifiedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "CatalogItemVersion" (
    "id" TEXT NOT NULL,
    "itemId" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "snapshot" TEXT NOT NULL,
    "changedById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CatalogItemVersion_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RoutingRule" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "sortOrder" INTEGER NOT NULL DEFAULT 0,
    "currentVersion" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "RoutingRule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RoutingRuleVersion" (
    "id" TEXT NOT NULL,
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
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RoutingRuleVersion_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RoutingRuleTarget" (
    "versionId" TEXT NOT NULL,
    "destinationId" TEXT NOT NULL,

    CONSTRAINT "RoutingRuleTarget_pkey" PRIMARY KEY ("versionId","destinationId")
);

-- CreateIndex
CREATE UNIQUE INDEX "CatalogItemVersion_itemId_version_key" ON "CatalogItemVersion"("itemId", "version");

-- CreateIndex
CREATE UNIQUE INDEX "RoutingRule_name_key" ON "RoutingRule"("name");

-- CreateIndex
CREATE UNIQUE INDEX "RoutingRuleVersion_ruleId_version_key" ON "RoutingRuleVersion"("ruleId", "version");

-- CreateIndex
CREATE INDEX "AuditEvent_userId_at_idx" ON "AuditEvent"("userId", "at");

-- AddForeignKey
ALTER TABLE "CatalogItem" ADD CONSTRAINT "CatalogItem_routingRuleId_fkey" FOREIGN KEY ("routingRuleId") REFERENCES "RoutingRule"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CatalogItemVersion" ADD CONSTRAINT "CatalogItemVersion_itemId_fkey" FOREIGN KEY ("itemId") REFERENCES "CatalogItem"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RoutingRuleVersion" ADD CONSTRAINT "RoutingRuleVersion_ruleId_fkey" FOREIGN KEY ("ruleId") REFERENCES "RoutingRule"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RoutingRuleTarget" ADD CONSTRAINT "RoutingRuleTarget_versionId_fkey" FOREIGN KEY ("versionId") REFERENCES "RoutingRuleVersion"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RoutingRuleTarget" ADD CONSTRAINT "RoutingRuleTarget_destinationId_fkey" FOREIGN KEY ("destinationId") REFERENCES "Destination"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DeliveryJob" ADD CONSTRAINT "DeliveryJob_ruleVersionId_fkey" FOREIGN KEY ("ruleVersionId") REFERENCES "RoutingRuleVersion"("id") ON DELETE SET NULL ON UPDATE CASCADE;

