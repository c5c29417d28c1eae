import Link from "next/link";

const SEX: Record<string, string> = { F: "female", M: "male", O: "other", U: "unknown", A: "ambiguous", N: "not applicable" };

/** Age from a YYYY-MM-DD birth date: years, or months / days for infants ("" when unknown). */
export const formatAge = (birthDate: string, now = new Date()): string => {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate);
  if (!m) {
    return "";
  }
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const months = (now.getFullYear() - y) * 12 + (now.getMonth() + 1 - mo) - (now.getDate() < d ? 1 : 0);
  if (months < 0) {
    return "";
  }
  if (months >= 24) {
    return `${Math.floor(months / 12)} y`;
  }
  if (months >= 1) {
    return `${months} mo`;
  }
  const days = Math.floor((now.getTime() - new Date(y, mo - 1, d).getTime()) / 86_400_000);

  return `${Math.max(days, 0)} d`;
};

/**
 * The selected patient, always on screen (sticky) while capturing: two identifiers — full name and birth date (with
 * age) — plus MRN and visit, sex and location. "Switch patient" leaves for the worklist; with unsent captures the
 * page's <UnsentGuard /> asks first.
 */
export function PatientBanner(props: { name: string; birthDate: string; sex: string; mrn: string; issuer: string; visitNumber: string; location: string; status: string }) {
  const age = formatAge(props.birthDate);

  return (
    <section aria-label="Selected patient" className="sticky top-0 z-20 border-b border-brand-100 bg-brand-50/95 shadow-sm backdrop-blur" data-testid="patient-banner">
      <div className="mx-auto flex max-w-5xl flex-wrap items-center gap-x-6 gap-y-1 px-4 py-2">
        <div className="min-w-0 flex-1">
          <p className="text-xl font-bold break-words text-brand-900" data-testid="banner-name">{props.name || "(no name)"}</p>
          <p className="flex flex-wrap gap-x-5 gap-y-0.5 text-base">
            <span><span className="text-slate-600">Born</span> <strong data-testid="banner-birth-date">{props.birthDate || "unknown"}</strong>{age ? <span className="text-slate-700"> ({age})</span> : null}</span>
            {props.sex ? <span><span className="text-slate-600">Sex</span> <strong>{SEX[props.sex] ?? props.sex}</strong></span> : null}
            <span><span className="text-slate-600">MRN</span> <strong data-testid="banner-mrn">{props.mrn}</strong> <span className="text-sm text-slate-600">({props.issuer})</span></span>
            <span><span className="text-slate-600">Visit</span> <strong>{props.visitNumber}</strong></span>
            <span className="text-slate-700">{props.location}{props.status !== "active" ? ` · ${props.status}` : ""}</span>
          </p>
        </div>
        <Link href="/worklist" className="inline-flex min-h-11 items-center rounded-xl border border-brand-600 bg-white px-4 font-semibold text-brand-700 hover:bg-brand-100 focus:outline-2 focus:outline-offset-2 focus:outline-brand-600">
          Switch patient
        </Link>
      </div>
    </section>
  );
}
