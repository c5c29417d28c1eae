/**
 * Command-line administration: `npm run cli -- <command> [options]`.
 *   token:create --user <email> [--label <text>]          print a new bearer API token for the user
 *   destination:add --name <name> --stow-url <base URL>   add or update a STOW-RS destination
 *   destination:add --name <name> --dicom-url dicom://CALLED_AE@host:port[?calling=AE]   … or a C-STORE one
 *     [--auth none|basic|bearer] [--auth-user <name>] [--auth-secret-env <VAR>] [--ca-file <pem>] [--max-parallel <n>] [--disabled]
 *     (the password/token is read from the named environment variable, so it never shows in `ps` or shell history)
 *   user:add --email <e> --role clinician|manager|admin [--department <code>]... --password <p> [--name <n>]
 *   seed                                                  create missing demo data (departments, catalog, users)
 */
import fs from "node:fs";
import { parseArgs } from "node:util";
import { createApiToken } from "../lib/auth/api-tokens";
import { getDb, prepareDb } from "../lib/db";
import { AppError } from "../lib/errors";
import { createDestination } from "../lib/forwarding/create-destination";
import { seedDemo } from "../lib/setup/seed-demo";
import { createUser } from "../lib/users/create-user";

const USAGE = `usage: npm run cli -- <command> [options]
  token:create --user <email> [--label <text>]
  destination:add --name <name> (--stow-url <DICOMweb base URL> | --dicom-url dicom://CALLED_AE@host:port[?calling=AE]) [--disabled]
      [--auth none|basic|bearer] [--auth-user <name>] [--auth-secret-env <VAR holding the password or token>]
      [--ca-file <PEM file of the archive's CA>] [--max-parallel <1-32>]
  user:add --email <e> --role clinician|manager|admin [--department <code>]... --password <p> [--name <n>]
  seed`;

const main = async (): Promise<void> => {
  const [command, ...rest] = process.argv.slice(2);
  const { values } = parseArgs({
    args: rest,
    options: {
      user: { type: "string" },
      label: { type: "string" },
      name: { type: "string" },
      "stow-url": { type: "string" },
      "dicom-url": { type: "string" },
      disabled: { type: "boolean" },
      auth: { type: "string" },
      "auth-user": { type: "string" },
      "auth-secret-env": { type: "string" },
      "ca-file": { type: "string" },
      "max-parallel": { type: "string" },
      email: { type: "string" },
      role: { type: "string" },
      department: { type: "string", multiple: true },
      password: { type: "string" },
    },
  });
  const db = getDb();
  await prepareDb(db);
  const need = (key: keyof typeof values): string => {
    const v = values[key];
    if (typeof v !== "string" || !v) {
      throw new AppError("bad_request", `--${key} is required\n${USAGE}`);
    }

    return v;
  };
  switch (command) {
    case "token:create": {
      const user = await db.user.findUnique({ where: { email: need("user").toLowerCase() } });
      if (!user) {
        throw new AppError("not_found", `no user with e-mail ${values.user}`);
      }
      console.log(await createApiToken(db, user.id, values.label ?? "cli"));
      break;
    }
    case "destination:add": {
      const secretVar = values["auth-secret-env"];
      if (secretVar && !process.env[secretVar]) {
        throw new AppError("bad_request", `environment variable ${secretVar} is empty`);
      }
      const r = await createDestination(db, {
        name: need("name"),
        url: values["dicom-url"] ?? need("stow-url"),
        enabled: !values.disabled,
        authType: (values.auth ?? "none") as "none" | "basic" | "bearer",
        authUsername: values["auth-user"] ?? "",
        authSecret: secretVar ? (process.env[secretVar] ?? "") : "",
        caCertPem: values["ca-file"] ? fs.readFileSync(values["ca-file"], "utf8") : "",
        maxParallel: values["max-parallel"] ? Number(values["max-parallel"]) : undefined,
      });
      console.log(`destination ${values.name} saved (${r.id}); ${r.queued} waiting instance(s) queued to it`);
      break;
    }
    case "user:add": {
      const r = await createUser(db, {
        email: need("email"),
        role: need("role"),
        password: need("password"),
        name: values.name,
        departments: values.department ?? [],
      });
      console.log(`user ${values.email} saved (${r.id})`);
      break;
    }
    case "seed": {
      for (const u of await seedDemo(db, { password: process.env.DEMO_PASSWORD })) {
        console.log(`demo user ${u.email} (${u.role}) password: ${u.password}`);
      }
      break;
    }
    default:
      throw new AppError("bad_request", USAGE);
  }
  await db.$disconnect();
};

main().catch((error: unknown) => {
  console.error(error instanceof AppError ? error.message : error);
  process.exit(2);
});
