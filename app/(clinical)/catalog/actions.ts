"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { requireUser } from "@/lib/auth/require-user";
import { deleteCatalogItem } from "@/lib/catalog/delete-catalog-item";
import { setCatalogItemActive } from "@/lib/catalog/deactivate-catalog-item";
import { importCatalogCsv, type TImportResult } from "@/lib/catalog/import-catalog-csv";
import { moveCatalogItem } from "@/lib/catalog/reorder-catalog-items";
import { saveCatalogItem } from "@/lib/catalog/save-catalog-item";
import { getDb } from "@/lib/db";
import { AppError } from "@/lib/errors";

export type TActionState = { ok: boolean; message: string };
export type TImportState = { done: boolean; result?: TImportResult; message?: string };

const fail = (error: unknown, fallback: string): TActionState => ({ ok: false, message: error instanceof AppError ? error.message : fallback });
const text = (form: FormData, key: string): string => String(form.get(key) ?? "");

/** Create or edit a catalog item from the item form; a new item opens its own page. */
export const saveCatalogItemAction = async (_prev: TActionState, form: FormData): Promise<TActionState> => {
  const user = await requireUser(undefined, ["manager", "admin"]);
  const id = text(form, "id") || undefined;
  let saved: { id: string; version: number; created: boolean; changed: string[] };
  try {
    saved = await saveCatalogItem(getDb(), user, {
      id,
      departmentId: text(form, "departmentId"),
      expectedVersion: form.get("expectedVersion") ? Number(form.get("expectedVersion")) : undefined,
      code: text(form, "code"),
      scheme: text(form, "scheme"),
      meaning: text(form, "meaning"),
      modality: text(form, "modality") as "XC",
      allowedMedia: form.getAll("allowedMedia").map(String) as "photo"[],
      bodySiteCode: text(form, "bodySiteCode"),
      requireBodySite: form.get("requireBodySite") === "on",
      laterality: text(form, "laterality") as "",
      mappedCode: text(form, "mappedCode"),
      mappedScheme: text(form, "mappedScheme") as "",
      mappedMeaning: text(form, "mappedMeaning"),
      routingRuleId: text(form, "routingRuleId") || null,
    });
  } catch (error) {
    return fail(error, "could not save the item");
  }
  revalidatePath("/catalog");
  if (saved.created) {
    redirect(`/catalog/${saved.id}?created=1`);
  }
  revalidatePath(`/catalog/${saved.id}`);

  return { ok: true, message: saved.changed.length ? `Saved as version ${saved.version}.` : "Nothing changed." };
};

/** Move an item one place up or down (the list's order buttons). */
export const moveCatalogItemAction = async (id: string, direction: "up" | "down"): Promise<TActionState & { position?: number }> => {
  const user = await requireUser(undefined, ["manager", "admin"]);
  try {
    const position = await moveCatalogItem(getDb(), user, z.string().min(1).parse(id), z.enum(["up", "down"]).parse(direction));
    revalidatePath("/catalog");

    return { ok: true, message: "", position };
  } catch (error) {
    return fail(error, "could not move the item");
  }
};

/** Deactivate or reactivate an item (the item page). */
export const setCatalogItemActiveAction = async (_prev: TActionState, form: FormData): Promise<TActionState> => {
  const user = await requireUser(undefined, ["manager", "admin"]);
  const id = text(form, "id");
  const active = text(form, "active") === "true";
  try {
    const { version } = await setCatalogItemActive(getDb(), user, id, active);
    revalidatePath("/catalog");
    revalidatePath(`/catalog/${id}`);

    return { ok: true, message: `${active ? "Reactivated" : "Deactivated"} (version ${version}).` };
  } catch (error) {
    return fail(error, "could not change the item");
  }
};

/** Delete an item that was never used; back to the list. */
export const deleteCatalogItemAction = async (_prev: TActionState, form: FormData): Promise<TActionState> => {
  const user = await requireUser(undefined, ["manager", "admin"]);
  const department = text(form, "department");
  try {
    await deleteCatalogItem(getDb(), user, text(form, "id"));
  } catch (error) {
    return fail(error, "could not delete the item");
  }
  revalidatePath("/catalog");
  redirect(`/catalog?department=${encodeURIComponent(department)}`);
};

const MAX_CSV_BYTES = 1024 * 1024;

/** Import a CSV file into a department's catalog (all rows or none). */
export const importCatalogAction = async (_prev: TImportState, form: FormData): Promise<TImportState> => {
  const user = await requireUser(undefined, ["manager", "admin"]);
  const file = form.get("file");
  if (!(file instanceof File) || file.size === 0) {
    return { done: false, message: "Choose a CSV file first." };
  }
  if (file.size > MAX_CSV_BYTES) {
    return { done: false, message: "The file is larger than 1 MB." };
  }
  try {
    const result = await importCatalogCsv(getDb(), user, text(form, "departmentId"), await file.text());
    if (result.ok) {
      revalidatePath("/catalog");
    }

    return { done: true, result };
  } catch (error) {
    return { done: false, message: error instanceof AppError ? error.message : "could not import the file" };
  }
};
