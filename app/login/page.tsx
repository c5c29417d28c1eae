import { LoginForm } from "@/components/ui/login-form";

export const metadata = { title: "Sign in – Encounter Capture" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string }> }) {
  const { callbackUrl } = await searchParams;
  const target = callbackUrl && callbackUrl.startsWith("/") && !callbackUrl.startsWith("//") ? callbackUrl : "/worklist";

  return (
    <main className="mx-auto flex min-h-screen max-w-md flex-col justify-center px-6">
      <h1 className="mb-2 text-3xl font-semibold text-brand-900">Encounter Capture</h1>
      <p className="mb-8 text-slate-600">Sign in to capture clinical images for your patients.</p>
      <LoginForm callbackUrl={target} />
    </main>
  );
}
