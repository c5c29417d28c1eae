-- AlterTable
ALTER TABLE "Patient" ADD COLUMN "lastEventAt" DATETIME;

-- CreateTable
CREATE TABLE "PatientAlias" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "mrn" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "patientId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "priorPatientId" TEXT NOT NULL DEFAULT '',
    "hl7MessageId" TEXT NOT NULL,
    "mergedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "PatientAlias_patientId_fkey" FOREIGN KEY ("patientId") REFERENCES "Patient" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "IdentityChange" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "fromMrn" TEXT NOT NULL,
    "fromIssuer" TEXT NOT NULL,
    "fromVisitNumber" TEXT NOT NULL DEFAULT '',
    "toPatientId" TEXT NOT NULL,
    "studyId" TEXT NOT NULL,
    "sopInstanceUids" TEXT NOT NULL,
    "hl7MessageId" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolvedAt" DATETIME,
    CONSTRAINT "IdentityChange_toPatientId_fkey" FOREIGN KEY ("toPatientId") REFERENCES "Patient" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "IdentityChange_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "PatientAlias_patientId_idx" ON "PatientAlias"("patientId");

-- CreateIndex
CREATE UNIQUE INDEX "PatientAlias_mrn_issuer_key" ON "PatientAlias"("mrn", "issuer");

-- CreateIndex
CREATE INDEX "IdentityChange_resolvedAt_createdAt_idx" ON "IdentityChange"("resolvedAt", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "IdentityChange_hl7MessageId_studyId_key" ON "IdentityChange"("hl7MessageId", "studyId");

-- CreateIndex
CREATE INDEX "Study_patientId_idx" ON "Study"("patientId");


-- Backfill: a patient's last event so far is the newest event of its encounters.
UPDATE "Patient" SET "lastEventAt" = (SELECT MAX("lastEventAt") FROM "Encounter" WHERE "Encounter"."patientId" = "Patient"."id");
