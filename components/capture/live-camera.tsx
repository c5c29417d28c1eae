"use client";

import { useCallback, useEffect, useRef, useState } from "react";

/** JPEG quality of a shot: high, the server keeps the JPEG as it is when upright (no second lossy step). */
const JPEG_QUALITY = 0.95;
/** What MediaRecorder should write, best first: WebM (VP9/VP8) is what every Chromium records and the server converts. */
const VIDEO_TYPES = ["video/webm;codecs=vp9", "video/webm;codecs=vp8", "video/webm", "video/mp4"];

const pickVideoType = (): string => {
  if (typeof MediaRecorder === "undefined") {
    return "";
  }
  return VIDEO_TYPES.find((t) => MediaRecorder.isTypeSupported(t)) ?? "";
};
const clock = (ms: number): string => {
  const s = Math.floor(ms / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
};

/**
 * The live camera (rear camera on tablets): a big shutter for several shots in a row and video recording with a
 * timer. Shots and clips go to the parent as in-memory Blobs; nothing is written to the device (no download, no
 * storage). The camera is released when the view closes, the page is hidden or the component unmounts.
 */
export function LiveCamera(props: {
  onPhoto: (photo: Blob) => void;
  onVideo: (video: Blob) => void;
  /** Why photos/videos cannot be taken for this procedure ("" = allowed). */
  photoBlocked: string;
  videoBlocked: string;
  /** Longest clip (VIDEO_MAX_MINUTES); recording stops by itself then. */
  maxVideoMs: number;
}) {
  const videoRef = useRef<HTMLVideoElement>(null);
  const streamRef = useRef<MediaStream | null>(null);
  const recorderRef = useRef<MediaRecorder | null>(null);
  const [open, setOpen] = useState(false);
  const [error, setError] = useState("");
  const [flash, setFlash] = useState(false);
  const [recordingSince, setRecordingSince] = useState<number | null>(null);
  const [now, setNow] = useState(0);
  const [shots, setShots] = useState(0);
  const { onVideo, maxVideoMs } = props;

  const stopRecording = useCallback(() => {
    if (recorderRef.current?.state === "recording") {
      recorderRef.current.stop();
    }
  }, []);

  const close = useCallback(() => {
    stopRecording();
    streamRef.current?.getTracks().forEach((t) => t.stop());
    streamRef.current = null;
    if (videoRef.current) {
      videoRef.current.srcObject = null;
    }
    setOpen(false);
  }, [stopRecording]);

  const start = async () => {
    setError("");
    if (!navigator.mediaDevices?.getUserMedia) {
      setError("This browser cannot show the camera here; use “Choose files”.");
      return;
    }
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1920 }, height: { ideal: 1080 } },
        audio: false,
      });
      streamRef.current = stream;
      setOpen(true);
    } catch (e) {
      setError(`The camera did not start (${(e as Error).name}). Allow camera access, or use “Choose files”.`);
    }
  };

  // Attach the stream once the <video> is on screen.
  useEffect(() => {
    if (open && videoRef.current && streamRef.current) {
      videoRef.current.srcObject = streamRef.current;
      void videoRef.current.play().catch(() => undefined);
      videoRef.current.scrollIntoView({ block: "center" });
    }
  }, [open]);

  // Release the camera when the tab is hidden and when the view goes away.
  useEffect(() => {
    const onHide = () => document.visibilityState === "hidden" && close();
    document.addEventListener("visibilitychange", onHide);
    return () => {
      document.removeEventListener("visibilitychange", onHide);
      close();
    };
  }, [close]);

  // Recording timer; stops at the configured limit.
  useEffect(() => {
    if (recordingSince === null) {
      return;
    }
    const t = setInterval(() => {
      setNow(Date.now());
      if (Date.now() - recordingSince >= maxVideoMs) {
        stopRecording();
      }
    }, 250);
    return () => clearInterval(t);
  }, [recordingSince, maxVideoMs, stopRecording]);

  const shoot = () => {
    const video = videoRef.current;
    if (!video || !video.videoWidth) {
      return;
    }
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d")!.drawImage(video, 0, 0);
    canvas.toBlob((blob) => {
      canvas.width = 0;
      if (blob) {
        props.onPhoto(blob);
        setShots((n) => n + 1);
      }
    }, "image/jpeg", JPEG_QUALITY);
    setFlash(true);
    setTimeout(() => setFlash(false), 120);
  };

  const record = () => {
    const stream = streamRef.current;
    const mimeType = pickVideoType();
    if (!stream || !mimeType) {
      setError("This browser cannot record video here; use “Choose files”.");
      return;
    }
    const chunks: Blob[] = [];
    const recorder = new MediaRecorder(stream, { mimeType, videoBitsPerSecond: 8_000_000 });
    recorder.ondataavailable = (e) => e.data.size > 0 && chunks.push(e.data);
    recorder.onstop = () => {
      setRecordingSince(null);
      recorderRef.current = null;
      if (chunks.length > 0) {
        onVideo(new Blob(chunks, { type: mimeType.split(";")[0] }));
      }
    };
    recorder.start(1000);
    recorderRef.current = recorder;
    setRecordingSince(Date.now());
    setNow(Date.now());
  };

  const recording = recordingSince !== null;
  const elapsed = recording ? now - recordingSince : 0;

  return (
    <div className="rounded-2xl bg-slate-900 p-3 text-white" data-testid="live-camera">
      {!open ? (
        <div className="flex min-h-48 flex-col items-center justify-center gap-3 p-4 text-center">
          <button type="button" onClick={start} className="h-16 rounded-xl bg-white px-8 text-lg font-semibold text-slate-900 hover:bg-slate-100 focus-visible:outline-4 focus-visible:outline-sky-400">
            Open camera
          </button>
          <p className="text-sm text-slate-300">Photos and videos stay in this page only until they are sent.</p>
          {error ? <p role="alert" className="font-medium text-amber-300">{error}</p> : null}
        </div>
      ) : (
        <div className="flex flex-col gap-3 landscape:lg:flex-row">
          <div className="relative min-w-0 flex-1 overflow-hidden rounded-xl bg-black">
            <video ref={videoRef} muted playsInline aria-label="Live camera view" className="aspect-[4/3] max-h-[52vh] w-full object-contain" />
            {flash ? <div className="pointer-events-none absolute inset-0 bg-white/70" aria-hidden /> : null}
            {recording ? (
              <div className="absolute left-3 top-3 flex items-center gap-2 rounded-full bg-black/70 px-3 py-1 font-mono text-lg" role="timer" aria-label="Recording time">
                <span className="size-3 animate-pulse rounded-full bg-red-500" aria-hidden />
                {clock(elapsed)} <span className="text-sm text-slate-300">/ {clock(maxVideoMs)}</span>
              </div>
            ) : null}
          </div>
          <div className="flex items-center justify-around gap-4 landscape:lg:w-36 landscape:lg:flex-col landscape:lg:justify-center">
            <button
              type="button"
              onClick={shoot}
              disabled={Boolean(props.photoBlocked) || recording}
              aria-label="Shutter: take a photo"
              title={props.photoBlocked || "Take a photo"}
              className="size-20 rounded-full border-4 border-white bg-white/90 shadow-lg ring-4 ring-white/30 active:scale-95 disabled:opacity-40 focus-visible:outline-4 focus-visible:outline-sky-400"
            />
            <button
              type="button"
              onClick={recording ? stopRecording : record}
              disabled={!recording && Boolean(props.videoBlocked)}
              aria-label={recording ? "Stop recording" : "Record video"}
              title={props.videoBlocked || (recording ? "Stop recording" : "Record video")}
              className="flex size-16 items-center justify-center rounded-full border-4 border-white bg-slate-800 disabled:opacity-40 focus-visible:outline-4 focus-visible:outline-sky-400"
            >
              <span className={recording ? "size-6 rounded bg-red-500" : "size-8 rounded-full bg-red-500"} aria-hidden />
            </button>
            <button type="button" onClick={close} className="h-12 rounded-xl border-2 border-white/60 px-4 text-sm font-semibold hover:bg-white/10 focus-visible:outline-4 focus-visible:outline-sky-400">
              Close camera
            </button>
          </div>
          <p className="sr-only" aria-live="polite">{shots > 0 ? `${shots} photo${shots === 1 ? "" : "s"} taken` : ""}</p>
          {props.photoBlocked || props.videoBlocked || error ? (
            <p role="status" className="text-sm text-amber-300">{error || props.photoBlocked || props.videoBlocked}</p>
          ) : null}
        </div>
      )}
    </div>
  );
}
