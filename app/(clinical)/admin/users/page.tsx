import Link from "next/link";
import { getPageUser } from "@/lib/auth/get-page-user";
import { listCatalogDepartments } from "@/lib/catalog/list-catalog-departments";
import { getDb } from "@/lib/db";
import { findUsers } from "@/lib/users/find-users";
import { UserActions } from "@/components/admin/user-actions";
import { UserForm } from "@/components/admin/user-form";

export const metadata = { title: "Users – Encounter Capture" };

export default async function UsersPage() {
  const actor = await getPageUser(["admin"]);
  const db = getDb();
  const [users, departments] = await Promise.all([findUsers(db, actor), listCatalogDepartments(db, actor)]);

  return (
    <main className="mx-auto max-w-6xl space-y-6 px-4 py-6">
      <Link href="/admin" className="inline-flex min-h-11 items-center text-brand-700 underline">← Administration</Link>
      <h1 className="text-2xl font-semibold">Users</h1>
      <p className="text-slate-700">
        Clinicians see and capture for their departments; managers also maintain those departments&apos; catalogs; admins run everything.
        A deactivated user is signed out on their next click, and their API tokens stop working.
      </p>
      <section aria-labelledby="new-user" className="space-y-3 rounded-xl bg-white p-4 ring-1 ring-slate-200">
        <h2 id="new-user" className="text-lg font-semibold">Add a user</h2>
        <UserForm departments={departments} />
      </section>
      <section aria-labelledby="all-users" className="space-y-2">
        <h2 id="all-users" className="text-lg font-semibold">{users.length} users</h2>
        <div className="overflow-x-auto rounded-xl bg-white ring-1 ring-slate-200">
          <table className="w-full text-left text-sm">
            <thead className="bg-slate-100 text-slate-700">
              <tr><th scope="col" className="p-3">User</th><th scope="col" className="p-3">Role</th><th scope="col" className="p-3">Departments</th><th scope="col" className="p-3">Status</th><th scope="col" className="p-3">Actions</th></tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr key={u.id} className={`border-t border-slate-100 align-top ${u.active ? "" : "bg-slate-50 text-slate-600"}`}>
                  <td className="p-3"><div className="font-semibold">{u.name}</div><div className="text-slate-700">{u.email}</div>
                    <div className="text-xs text-slate-600">{u.activeTokens} API token{u.activeTokens === 1 ? "" : "s"}</div></td>
                  <td className="p-3 capitalize">{u.role}</td>
                  <td className="p-3">{u.departments.map((d) => d.code).join(", ") || (u.role === "admin" ? "all (admin)" : "none")}</td>
                  <td className="p-3"><span className={`rounded-full px-2 py-0.5 text-xs font-semibold ${u.active ? "bg-emerald-100 text-emerald-900" : "bg-slate-200 text-slate-800"}`}>{u.active ? "Active" : "Deactivated"}</span></td>
                  <td className="space-y-2 p-3">
                    <UserActions id={u.id} email={u.email} active={u.active} />
                    <details>
                      <summary className="inline-flex min-h-11 cursor-pointer items-center font-medium text-brand-700 underline">Edit role and departments</summary>
                      <div className="mt-2"><UserForm user={{ id: u.id, email: u.email, name: u.name, role: u.role, departmentIds: u.departments.map((d) => d.id) }} departments={departments} /></div>
                    </details>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </main>
  );
}
