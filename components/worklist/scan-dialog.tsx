"use client";

import { useEffect, useRef, useState } from "react";
import { createFrameDecoder } from "./decode-barcode";

const SCAN_INTERVAL_MS = 200;

/**
 * Camera view that reads a wristband barcode / QR code (rear camera on tablets) and hands its text to `onCode`.
 * Nothing is recorded or kept: frames are decoded in memory and the camera stops when the dialog closes.
 */
export function ScanDialog({ onCode, onClose }: { onCode: (code: string) => void | Promise<void>; onClose: () => void }) {
  const video = useRef<HTMLVideoElement>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  const [state, setState] = useState<{ message: string; decoder: string }>({ message: "Starting the camera…", decoder: "" });

  useEffect(() => {
    dialog.current?.showModal();
    let stream: MediaStream | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const start = async (): Promise<void> => {
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 } }, audio: false });
        if (stopped) {
          return;
        }
        video.current!.srcObject = stream;
        await video.current!.play().catch(() => undefined);
        const decoder = await createFrameDecoder();
        setState({ message: "Hold the wristband code in the frame.", decoder: decoder.name });
        const tick = async (): Promise<void> => {
          if (stopped) {
            return;
          }
          const text = video.current ? await decoder.decode(video.current) : null;
          if (text && !stopped) {
            stopped = true;
            video.current?.pause(); // keep the frame that was read on screen while the patient opens
            setState({ message: "Code read. Opening the patient…", decoder: decoder.name });
            void onCode(text);
            return;
          }
          timer = setTimeout(() => void tick(), SCAN_INTERVAL_MS);
        };
        void tick();
      } catch (error) {
        const name = (error as Error).name;
        setState({
          message: name === "NotAllowedError" ? "The camera is blocked. Allow it in the browser settings, or type the code into the search box." : "No camera available. Type the code into the search box instead.",
          decoder: "",
        });
      }
    };
    void start();
    return () => {
      stopped = true;
      clearTimeout(timer);
      stream?.getTracks().forEach((t) => t.stop());
    };
  }, [onCode]);

  return (
    <dialog
      ref={dialog}
      aria-labelledby="scan-title"
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      className="m-auto w-[min(92vw,40rem)] rounded-2xl p-4 shadow-xl backdrop:bg-slate-900/70"
    >
      <h2 id="scan-title" className="mb-2 text-xl font-semibold">Scan wristband</h2>
      <div className="relative aspect-[4/3] w-full overflow-hidden rounded-xl bg-slate-900">
        <video ref={video} muted playsInline className="h-full w-full object-cover" aria-label="Camera view" />
        <div aria-hidden className="pointer-events-none absolute inset-[15%] rounded-lg border-4 border-white/80" />
      </div>
      <p role="status" className="mt-3 text-base text-slate-800" data-decoder={state.decoder}>{state.message}</p>
      <div className="mt-3 flex justify-end">
        <button type="button" onClick={onClose} className="min-h-12 rounded-xl border border-slate-400 px-5 font-semibold hover:bg-slate-100 focus:outline-2 focus:outline-offset-2 focus:outline-brand-600">
          Cancel
        </button>
      </div>
    </dialog>
  );
}
