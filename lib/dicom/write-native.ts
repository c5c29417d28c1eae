/**
 * Writes a DICOM file whose Pixel Data is native (uncompressed), Explicit VR Little Endian: dcmjs serializes the File
 * Meta and the dataset without Pixel Data, and the (7FE0,0010) element is appended by hand so a multi-megabyte
 * pixel buffer is never copied through dcmjs.
 *
 * Native Pixel Data (PS3.5 §8.1.1, §7.1.2): VR OB for Bits Allocated 8, explicit 32-bit length after 2 reserved
 * bytes; the value has even length (PS3.5 §7.1.1), so an odd pixel count is padded with one 0x00. Pixel Data sorts
 * after every other tag we write, so it is last. Durability and hashing as in write-encapsulated.ts: `outPath.tmp`
 * opened with O_DSYNC, renamed over `outPath`, directory fsync'ed; SHA-256 over the buffers being written.
 */
import dcmjs, { type TNaturalDataset } from "dcmjs";
import { writeHashedFile } from "@/lib/dicom/write-file-parts";

const { DicomDict, DicomMetaDictionary } = dcmjs.data;

const PIXEL_DATA_TAG = "7FE00010";
const MAX_LENGTH = 0xfffffffe;

/** (7FE0,0010) OB, 2 reserved bytes, 32-bit length (PS3.5 Table 7.1-1). */
const pixelDataHeader = (length: number): Buffer => {
  const element = Buffer.alloc(12);
  element.writeUInt16LE(0x7fe0, 0);
  element.writeUInt16LE(0x0010, 2);
  element.write("OB", 4, "latin1");
  element.writeUInt32LE(length, 8);
  return element;
};

/**
 * @param args.outPath - final path; a sibling `.tmp` file is used while writing
 * @param args.meta - naturalized File Meta Information (group 0002) without the group length; its Transfer Syntax
 *   must be Explicit VR Little Endian
 * @param args.dataset - naturalized dataset without Pixel Data
 * @param args.pixels - the pixel bytes (8 bits per sample, interleaved)
 * @returns size of the file and the hex SHA-256 of its bytes
 */
export const writeNativeFile = async (args: {
  outPath: string;
  meta: TNaturalDataset;
  dataset: TNaturalDataset;
  pixels: Buffer;
}): Promise<{ size: number; sha256: string }> => {
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(args.meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(args.dataset);
  if (PIXEL_DATA_TAG in dict.dict) {
    throw new Error("writeNativeFile: the dataset must not contain PixelData");
  }
  const padded = args.pixels.length + (args.pixels.length % 2);
  if (padded > MAX_LENGTH) {
    throw new Error("writeNativeFile: pixel data exceeds the 32-bit element length");
  }
  const buffers = [
    Buffer.concat([Buffer.from(dict.write()), pixelDataHeader(padded)]),
    args.pixels,
    Buffer.alloc(padded - args.pixels.length),
  ];
  return writeHashedFile(args.outPath, buffers);
};
