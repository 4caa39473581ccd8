// The phone's alarm: a two-tone siren made with Web Audio (no file to fetch, works offline) and a
// vibration pattern. Browsers only let a page make sound after the person touched it once, so the
// consent button `unlock()`s the audio context; a phone that was never touched still vibrates and
// shows the full-screen warning.

let ctx: AudioContext | null = null;
let stopCurrent: (() => void) | null = null;

/** Call from a click or tap: creates (and resumes) the audio context for later alarms. */
export function unlockAudio(): void {
	try {
		ctx ??= new AudioContext();
		void ctx.resume();
	} catch {
		ctx = null;
	}
}

/** Whether an alarm would sound now (the audio context exists and runs). */
export function audioReady(): boolean {
	return !!ctx && ctx.state === 'running';
}

export interface AlarmOutput {
	sound: boolean;
	vibration: boolean;
}

/** Starts the siren and vibration (until `stopAlarm`, or `seconds`); says what it could do. */
export function startAlarm(seconds = 30): AlarmOutput {
	stopAlarm();
	let vibration = false;
	try {
		vibration =
			navigator.vibrate?.(Array.from({ length: seconds }, () => [600, 400]).flat()) ?? false;
	} catch {
		vibration = false;
	}
	let sound = false;
	if (ctx && ctx.state !== 'closed') {
		try {
			void ctx.resume();
			const osc = ctx.createOscillator();
			const gain = ctx.createGain();
			osc.type = 'square';
			gain.gain.value = 0.25;
			const t0 = ctx.currentTime;
			// 960/770 Hz alternating every half second: the sound of an evacuation alarm.
			for (let i = 0; i < seconds * 2; i++)
				osc.frequency.setValueAtTime(i % 2 ? 770 : 960, t0 + i * 0.5);
			osc.connect(gain).connect(ctx.destination);
			osc.start(t0);
			osc.stop(t0 + seconds);
			sound = ctx.state === 'running';
			stopCurrent = () => {
				try {
					osc.stop();
				} catch {
					/* already stopped */
				}
				osc.disconnect();
			};
		} catch {
			sound = false;
		}
	}
	return { sound, vibration };
}

export function stopAlarm(): void {
	stopCurrent?.();
	stopCurrent = null;
	try {
		navigator.vibrate?.(0);
	} catch {
		/* not supported */
	}
}
