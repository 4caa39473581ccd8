// What the gate says and sounds: the decision spoken in Chinese (speechSynthesis zh-CN, when the
// tablet has a voice) and a tone anyone hears across a noisy gate — rising for 允许进入, low and
// repeated for 禁止进入. Both are best effort: the screen is the record, never the sound.

let audio: AudioContext | null = null;

function tone(
	ctx: AudioContext,
	freq: number,
	start: number,
	length: number,
	type: OscillatorType
) {
	const osc = ctx.createOscillator();
	const gain = ctx.createGain();
	osc.type = type;
	osc.frequency.value = freq;
	gain.gain.setValueAtTime(0.0001, start);
	gain.gain.exponentialRampToValueAtTime(0.4, start + 0.02);
	gain.gain.exponentialRampToValueAtTime(0.0001, start + length);
	osc.connect(gain).connect(ctx.destination);
	osc.start(start);
	osc.stop(start + length + 0.02);
}

export function playTone(kind: 'allow' | 'deny' | 'attention'): void {
	try {
		audio ??= new AudioContext();
		if (audio.state === 'suspended') void audio.resume();
		const t = audio.currentTime + 0.01;
		if (kind === 'allow') {
			tone(audio, 660, t, 0.15, 'sine');
			tone(audio, 990, t + 0.16, 0.25, 'sine');
		} else if (kind === 'deny') {
			for (let i = 0; i < 3; i++) tone(audio, 220, t + i * 0.22, 0.18, 'square');
		} else {
			tone(audio, 880, t, 0.12, 'sine');
		}
	} catch {
		// No audio device (or autoplay not yet allowed): the screen still shows everything.
	}
}

/** Speaks `text` in Chinese, interrupting whatever was being said for the previous person. */
export function speak(text: string, lang = 'zh-CN'): void {
	const synth = typeof speechSynthesis === 'undefined' ? null : speechSynthesis;
	if (!synth) return;
	try {
		synth.cancel();
		const u = new SpeechSynthesisUtterance(text);
		u.lang = lang;
		const voice = synth.getVoices().find((v) => v.lang.replace('_', '-').startsWith(lang));
		if (voice) u.voice = voice;
		u.rate = 1;
		synth.speak(u);
	} catch {
		// Speech is a courtesy; a tablet without a voice still shows the decision.
	}
}
