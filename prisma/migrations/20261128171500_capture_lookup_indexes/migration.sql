-- CreateIndex
CREATE INDEX "IdentityChange_toPatientId_idx" ON "IdentityChange"("toPatientId");

-- CreateIndex
CREATE INDEX "Series_studyId_idx" ON "Series"("studyId");

-- CreateIndex
CREATE INDEX "Instance_seriesId_idx" ON "Instance"("seriesId");

