# StereoSync Studio: `make run` opens the Studio on the demo, `make test` runs the suite headless.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
PIP := $(VPY) -m pip
STAMP := $(VENV)/.installed
REQS := requirements/constraints.txt requirements/app.txt requirements/nodeps.txt requirements/diffusion.txt pyproject.toml
# pulseaudio, pulseaudio-utils, libasound2-plugins: tests/test_audition_real.py plays through a user-level
# PulseAudio null sink (PortAudio reaches it through ALSA's pulse plugin) and records its monitor.
# espeak-ng: the dialogue of the busy guide-track fixtures (tests/busy_guide.py; formant speech without it).
APT_PKGS := libportaudio2 libsndfile1 libmysofa1 xvfb libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0 libegl1 libgl1 libglib2.0-0 libfontconfig1 libdbus-1-3 pulseaudio pulseaudio-utils libasound2-plugins espeak-ng
export HF_HUB_OFFLINE := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: all venv sysdeps lint-imports run test test-fast demo bench bundle clean

all: venv

sysdeps:
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
	    || echo "warning: could not install$$missing (audio playback / Xvfb may be unavailable)"; \
	fi

$(STAMP): $(REQS)
	$(MAKE) sysdeps
	test -x $(VPY) || $(PY) -m venv $(VENV)
	$(PIP) install -q -U pip wheel
	$(PIP) install -q --only-binary=:all: -c requirements/constraints.txt -r requirements/app.txt
	$(PIP) install -q --no-deps -r requirements/nodeps.txt
	$(PIP) install -q -c requirements/constraints.txt -r requirements/diffusion.txt
	$(PIP) install -q --no-deps --no-build-isolation -e .
	$(VPY) -m stereosync_studio.learned.reid_export >/dev/null || echo "warning: re-identification model not converted (tracking uses colour and motion only)"
	touch $(STAMP)

venv: $(STAMP)

resources/demo/demo.mp4: | $(STAMP)
	$(VPY) scripts/make_demo.py --out resources/demo

run: venv resources/demo/demo.mp4
	$(VENV)/bin/stereosync-studio resources/demo/demo.mp4

lint-imports: venv
	$(VENV)/bin/lint-imports --no-cache

test: venv sysdeps lint-imports
	QT_QPA_PLATFORM=offscreen $(VPY) -m pytest -q tests

test-fast: venv
	QT_QPA_PLATFORM=offscreen $(VPY) -m pytest -q -m "not slow" tests

demo: venv resources/demo/demo.mp4
	$(VENV)/bin/stereosync render resources/demo/demo.mp4 --reference resources/samples/metal --takes 2 --preview -o resources/demo/out

bench: venv
	QT_QPA_PLATFORM=offscreen $(VPY) tests/bench/run_all.py

bundle: venv
	$(PIP) install -q pyinstaller==6.16.0
	$(VENV)/bin/pyinstaller --noconfirm --clean build.spec
	@du -sh dist/StereoSyncStudio

clean:
	rm -rf build dist .pytest_cache
