/** The selected patient, always on screen while capturing: two identifiers (name + birth date) plus MRN and visit. */
export function PatientBanner(props: { name: string; birthDate: string; sex: string; mrn: string; issuer: string; visitNumber: string; location: string; status: string }) {
  return (
    <section aria-label="Selected patient" className="sticky top-0 z-10 border-b border-brand-100 bg-brand-50/95 backdrop-blur" data-testid="patient-banner">
      <div className="mx-auto flex max-w-5xl flex-wrap items-baseline gap-x-6 gap-y-1 px-4 py-3">
        <span className="text-xl font-bold text-brand-900">{props.name}</span>
        <span className="text-base"><span className="text-slate-500">Born</span> <strong>{props.birthDate || "unknown"}</strong> {props.sex ? `· ${props.sex}` : ""}</span>
        <span className="text-base"><span className="text-slate-500">MRN</span> <strong>{props.mrn}</strong> <span className="text-xs text-slate-500">({props.issuer})</span></span>
        <span className="text-base"><span className="text-slate-500">Visit</span> <strong>{props.visitNumber}</strong></span>
        <span className="text-sm text-slate-600">{props.location}{props.status !== "active" ? ` · ${props.status}` : ""}</span>
      </div>
    </section>
  );
}
