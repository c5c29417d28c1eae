/**
 * Synthetic "device exports" for the re-identification tests, written by pydicom (Debian's /usr/bin/python3; no numpy
 * needed: pixel values are bytes built here). Every valid source carries a foreign identity (the device's own
 * patient, accession, institution, UIDs) and passes dciodvfy without errors, so any error in an output is ours.
 *
 * Fails (never skips) when pydicom is missing, naming the Debian package.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import sharp from "sharp";

/** The identity the "device" wrote; none of it may survive outside Original Attributes Sequence. */
export const FOREIGN = {
  patientName: "Gérard^Device",
  patientId: "US-TEMP-0001",
  issuer: "POCUS1",
  birthDate: "19800101",
  sex: "O",
  accession: "ACC-DEVICE-9",
  institution: "Mobile Unit 3",
  referring: "Sender^Sam",
  otherPatientId: "OTHER-77",
  address: "1 Device Street",
  studyUid: "1.2.826.0.1.3680043.8.498.1",
  seriesUid: "1.2.826.0.1.3680043.8.498.2",
  seriesUid2: "1.2.826.0.1.3680043.8.498.3",
} as const;

/** ADT identity of the picked encounter (synthetic). */
export const ADT_CONTEXT = {
  patient: {
    mrn: "MRN-000123",
    issuer: "GENHOSP",
    issuerOid: "1.2.826.0.1.3680043.10.999.1",
    familyName: "Müller",
    givenName: "Jörg",
    middleName: "",
    prefix: "Dr",
    suffix: "",
    birthDate: "19700102",
    sex: "M",
  },
  encounter: {
    visitNumber: "V-2025-0042",
    visitIssuer: "GENHOSP",
    institutionName: "General Hospital",
    referringPhysician: "Attending^Anna",
  },
};

/** Files written by {@link makeUsCorpus}; each a path. */
export type TUsCorpus = {
  /** US Multi-frame, JPEG Baseline, 4 colour frames 64×48 (YBR_FULL_422), explicit VR LE, ISO_IR 100, private tags. */
  usMultiframeJpeg: string;
  /** Same device study, second series: US Image, RLE Lossless, MONOCHROME2 64×48. */
  usImageRle: string;
  /** US Multi-frame, native MONOCHROME2, implicit VR LE, 3 frames 64×48, no Specific Character Set. */
  usMultiframeImplicit: string;
  /**
   * Secondary Capture, native RGB 32×32, explicit VR LE, with Original Attributes Sequence already present and Data
   * Set Trailing Padding (FFFC,FFFC) after Pixel Data.
   */
  secondaryCapture: string;
  /** The Secondary Capture rewritten by dcmtk with undefined-length sequences and items, and group lengths. */
  secondaryCaptureUndefinedLengths: string;
  /** The same in implicit VR little endian (undefined-length sequences without VRs). */
  secondaryCaptureImplicitUndefined: string;
  /** Basic Text SR: refused (not an image). */
  structuredReport: string;
  /** Encapsulated PDF: refused. */
  encapsulatedPdf: string;
  /** Explicit VR Big Endian US Image: refused (retired transfer syntax). */
  bigEndian: string;
  /** Deflated Explicit VR LE US Image: refused. */
  deflated: string;
  /** US Image whose native Pixel Data is shorter than Rows × Columns declare. */
  shortPixelData: string;
};

const PYTHON = "/usr/bin/python3";

const SCRIPT = String.raw`
import json, sys
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.encaps import encapsulate
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, JPEGBaseline8Bit, RLELossless

spec = json.load(open(sys.argv[1]))
F = spec["foreign"]
out = spec["dir"]

def base(sop_class, sop_uid, series_uid, modality="US", charset="ISO_IR 100"):
    ds = Dataset()
    if charset:
        ds.SpecificCharacterSet = charset
    ds.ImageType = ["ORIGINAL", "PRIMARY", "ABDOMINAL", "0001"] if modality == "US" else ["ORIGINAL", "PRIMARY"]
    ds.InstanceCreationDate = "20250314"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.StudyDate = "20250314"
    ds.ContentDate = "20250314"
    ds.StudyTime = "101500"
    ds.ContentTime = "101502"
    ds.AccessionNumber = F["accession"]
    ds.Modality = modality
    ds.Manufacturer = "ACME Ultrasound"
    ds.InstitutionName = F["institution"]
    ds.ReferringPhysicianName = F["referring"]
    ds.StationName = "POCUS-1"
    ds.StudyDescription = "Abdomen POCUS"
    ds.ManufacturerModelName = "Handheld 2"
    ds.PatientName = F["patientName"]
    ds.PatientID = F["patientId"]
    ds.IssuerOfPatientID = F["issuer"]
    ds.PatientBirthDate = F["birthDate"]
    ds.PatientSex = F["sex"]
    ds.OtherPatientIDs = F["otherPatientId"]
    other = Dataset(); other.PatientID = F["otherPatientId"]; other.TypeOfPatientID = "TEXT"
    ds.OtherPatientIDsSequence = Sequence([other])
    ds.PatientAge = "045Y"
    ds.PatientWeight = "71.5"
    ds.PatientAddress = F["address"]
    ds.StudyInstanceUID = F["studyUid"]
    ds.SeriesInstanceUID = series_uid
    ds.StudyID = "77"
    ds.SeriesNumber = "1"
    ds.InstanceNumber = "1"
    ds.PatientOrientation = ""
    ds.Laterality = ""
    return ds

def us_pixels(ds, rows, cols, samples, photometric):
    ds.SamplesPerPixel = samples
    ds.PhotometricInterpretation = photometric
    if samples > 1:
        ds.PlanarConfiguration = 0
    ds.Rows = rows
    ds.Columns = cols
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0

def regions(ds, rows, cols):
    r = Dataset()
    r.RegionSpatialFormat = 1
    r.RegionDataType = 1
    r.RegionFlags = 0
    r.RegionLocationMinX0 = 0
    r.RegionLocationMinY0 = 0
    r.RegionLocationMaxX1 = cols - 1
    r.RegionLocationMaxY1 = rows - 1
    r.PhysicalUnitsXDirection = 3
    r.PhysicalUnitsYDirection = 3
    r.PhysicalDeltaX = 0.05
    r.PhysicalDeltaY = 0.05
    ds.SequenceOfUltrasoundRegions = Sequence([r])

def private(ds):
    ds.add_new(0x00090010, "LO", "ACME US")
    ds.add_new(0x00091010, "LO", "probe C5-2")
    ds.add_new(0x00091011, "LO", "preset abdomen")

def save(ds, name, ts, implicit=False, little=True):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ts
    meta.ImplementationClassUID = "1.2.826.0.1.3680043.8.498.9"
    meta.SourceApplicationEntityTitle = "POCUS1"
    ds.file_meta = meta
    ds.is_implicit_VR = implicit
    ds.is_little_endian = little
    p = out + "/" + name
    ds.save_as(p, write_like_original=False)
    return p

paths = {}
US_MF = "1.2.840.10008.5.1.4.1.1.3.1"
US = "1.2.840.10008.5.1.4.1.1.6.1"

# 1. US Multi-frame, JPEG Baseline
frames = [open(f, "rb").read() for f in spec["jpegFrames"]]
ds = base(US_MF, "1.2.826.0.1.3680043.8.498.10", F["seriesUid"])
us_pixels(ds, 48, 64, 3, "YBR_FULL_422")
ds.NumberOfFrames = len(frames)
ds.FrameIncrementPointer = 0x00181063
ds.FrameTime = "33.3"
ds.LossyImageCompression = "01"
ds.LossyImageCompressionMethod = "ISO_10918_1"
regions(ds, 48, 64)
private(ds)
ds.PixelData = encapsulate(frames)
ds["PixelData"].VR = "OB"
ds["PixelData"].is_undefined_length = True
paths["usMultiframeJpeg"] = save(ds, "us-mf-jpeg.dcm", JPEGBaseline8Bit)

# 2. US Image, RLE (hand-encoded: one segment of literal runs, PS3.5 Annex G)
rows, cols = 48, 64
raw = bytes((x * 4 + y) % 256 for y in range(rows) for x in range(cols))
seg = bytearray()
for i in range(0, len(raw), 128):
    chunk = raw[i:i + 128]
    seg.append(len(chunk) - 1)
    seg.extend(chunk)
if len(seg) % 2:
    seg.append(0)
header = (1).to_bytes(4, "little") + (64).to_bytes(4, "little") + bytes(56)
ds = base(US, "1.2.826.0.1.3680043.8.498.11", F["seriesUid2"])
us_pixels(ds, rows, cols, 1, "MONOCHROME2")
ds.SeriesNumber = "2"
ds.PixelData = encapsulate([header + bytes(seg)])
ds["PixelData"].VR = "OB"
ds["PixelData"].is_undefined_length = True
paths["usImageRle"] = save(ds, "us-rle.dcm", RLELossless)

# 3. US Multi-frame, native, implicit VR LE, no Specific Character Set
n = spec["implicitFrames"]
r3, c3 = spec["implicitRows"], spec["implicitColumns"]
ds = base(US_MF, "1.2.826.0.1.3680043.8.498.12", F["seriesUid"], charset=None)
ds.PatientName = "Device^Temp"
us_pixels(ds, r3, c3, 1, "MONOCHROME2")
ds.NumberOfFrames = n
ds.FrameIncrementPointer = 0x00181063
ds.FrameTime = "40"
ds.InstanceNumber = "2"
private(ds)
ds.PixelData = bytes(range(256)) * (r3 * c3 * n // 256) + bytes((r3 * c3 * n) % 256)
paths["usMultiframeImplicit"] = save(ds, spec["implicitName"], ImplicitVRLittleEndian, implicit=True)

# 4. Secondary Capture, native RGB, already has an Original Attributes Sequence item
ds = base("1.2.840.10008.5.1.4.1.1.7", "1.2.826.0.1.3680043.8.498.13", F["seriesUid"], modality="OT")
ds.ConversionType = "WSD"
us_pixels(ds, 32, 32, 3, "RGB")
earlier = Dataset()
mod = Dataset(); mod.PatientID = "EVEN-EARLIER"
earlier.ModifiedAttributesSequence = Sequence([mod])
earlier.AttributeModificationDateTime = "20250101120000"
earlier.ModifyingSystem = "Some PACS"
earlier.SourceOfPreviousValues = ""
earlier.ReasonForTheAttributeModification = "CORRECT"
ds.OriginalAttributesSequence = Sequence([earlier])
ds.PixelData = bytes((i * 7) % 256 for i in range(32 * 32 * 3))
ds.DataSetTrailingPadding = bytes(16)
paths["secondaryCapture"] = save(ds, "sc.dcm", ExplicitVRLittleEndian)

# 5. Basic Text SR
ds = base("1.2.840.10008.5.1.4.1.1.88.11", "1.2.826.0.1.3680043.8.498.14", F["seriesUid"], modality="SR")
del ds.ImageType
del ds.PatientOrientation
del ds.Laterality
ds.ValueType = "CONTAINER"
paths["structuredReport"] = save(ds, "sr.dcm", ExplicitVRLittleEndian)

# 6. Encapsulated PDF
ds = base("1.2.840.10008.5.1.4.1.1.104.1", "1.2.826.0.1.3680043.8.498.15", F["seriesUid"], modality="DOC")
del ds.ImageType
del ds.Laterality
ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
ds.EncapsulatedDocument = b"%PDF-1.4\n%%EOF\n"
paths["encapsulatedPdf"] = save(ds, "pdf.dcm", ExplicitVRLittleEndian)

# 7. Big endian (retired) and 8. deflated
for name, ts, little in (("bigEndian", "1.2.840.10008.1.2.2", False), ("deflated", "1.2.840.10008.1.2.1.99", True)):
    ds = base(US, "1.2.826.0.1.3680043.8.498.16", F["seriesUid"])
    us_pixels(ds, 8, 8, 1, "MONOCHROME2")
    ds.PixelData = bytes(64)
    paths[name] = save(ds, name + ".dcm", ts, little=little)

# 9. Pixel Data shorter than Rows x Columns
ds = base(US, "1.2.826.0.1.3680043.8.498.17", F["seriesUid"])
us_pixels(ds, 8, 8, 1, "MONOCHROME2")
ds.PixelData = bytes(32)
paths["shortPixelData"] = save(ds, "short.dcm", ExplicitVRLittleEndian)

print(json.dumps(paths))
`;

/** Options: size of the implicit VR multi-frame file (the large-file benchmark makes it ~100 MB). */
export type TUsCorpusOptions = {
  implicitRows?: number;
  implicitColumns?: number;
  implicitFrames?: number;
  implicitName?: string;
};

/** Four small baseline JPEG frames (4:2:0 colour), each a different gradient. */
const jpegFrames = async (dir: string): Promise<string[]> => {
  const files: string[] = [];
  for (let i = 0; i < 4; i += 1) {
    const raw = Buffer.alloc(64 * 48 * 3);
    for (let p = 0; p < 64 * 48; p += 1) {
      raw[p * 3] = (p + i * 40) % 256;
      raw[p * 3 + 1] = (p >> 2) % 256;
      raw[p * 3 + 2] = i * 60;
    }
    const jpeg = await sharp(raw, { raw: { width: 64, height: 48, channels: 3 } })
      .jpeg({ quality: 90, chromaSubsampling: "4:2:0", mozjpeg: false, progressive: false })
      .toBuffer();
    const file = path.join(dir, `frame-${i}.jpg`);
    writeFileSync(file, jpeg);
    files.push(file);
  }
  return files;
};

/**
 * Writes the corpus into `dir` (which must exist).
 * @returns the path of each file
 * @throws Error naming the Debian package when pydicom is missing, or pydicom's error output
 */
export const makeUsCorpus = async (dir: string, options: TUsCorpusOptions = {}): Promise<TUsCorpus> => {
  const spec = {
    dir,
    foreign: FOREIGN,
    jpegFrames: await jpegFrames(dir),
    implicitRows: options.implicitRows ?? 48,
    implicitColumns: options.implicitColumns ?? 64,
    implicitFrames: options.implicitFrames ?? 3,
    implicitName: options.implicitName ?? "us-mf-implicit.dcm",
  };
  const specPath = path.join(dir, "corpus.json");
  writeFileSync(specPath, JSON.stringify(spec));
  const result = spawnSync(PYTHON, ["-c", SCRIPT, specPath], { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
  if (result.error && (result.error as NodeJS.ErrnoException).code === "ENOENT") {
    throw new Error(`${PYTHON} is not installed: apt-get install -y --no-install-recommends python3-pydicom`);
  }
  if (result.status !== 0) {
    if (/No module named .?pydicom/.test(result.stderr)) {
      throw new Error("pydicom is not importable by /usr/bin/python3: apt-get install -y python3-pydicom");
    }
    throw new Error(`pydicom could not write the corpus:\n${result.stderr}`);
  }
  const paths = JSON.parse(result.stdout) as Omit<
    TUsCorpus,
    "secondaryCaptureUndefinedLengths" | "secondaryCaptureImplicitUndefined"
  >;
  return {
    ...paths,
    secondaryCaptureUndefinedLengths: dcmconv(paths.secondaryCapture, path.join(dir, "sc-undef.dcm"), ["-e", "+g"]),
    secondaryCaptureImplicitUndefined: dcmconv(paths.secondaryCapture, path.join(dir, "sc-impl.dcm"), ["+ti", "-e"]),
  };
};

/** dcmtk's dcmconv: re-encodes a file (sequence lengths, group lengths, transfer syntax). */
const dcmconv = (from: string, to: string, args: string[]): string => {
  const result = spawnSync("dcmconv", [...args, from, to], { encoding: "utf8" });
  if (result.error && (result.error as NodeJS.ErrnoException).code === "ENOENT") {
    throw new Error("dcmconv is not installed: apt-get install -y --no-install-recommends dcmtk");
  }
  if (result.status !== 0) {
    throw new Error(`dcmconv ${args.join(" ")} failed:\n${result.stdout}${result.stderr}`);
  }
  return to;
};
