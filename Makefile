# make run  — set up everything on a bare machine and start the product (embedded SQLite)
# make test — install what the tests need and run every test CI runs
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
FRONTEND_SOURCES := $(shell find frontend/src frontend/public frontend/index.html frontend/package.json frontend/vite.config.* frontend/tsconfig*.json -type f 2>/dev/null)

.PHONY: run test test-python test-frontend bench serve clean browser-deps ops-deps

run: $(VENV)/.installed frontend/dist/index.html
	$(VENV)/bin/nocode bootstrap
	$(VENV)/bin/nocode serve --host $(HOST) --port $(PORT)

serve: $(VENV)/.installed
	$(VENV)/bin/nocode serve --host $(HOST) --port $(PORT)

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

frontend/dist/index.html: frontend/node_modules/.installed $(FRONTEND_SOURCES)
	cd frontend && npm run build

# Browser tests drive Debian's Chromium; CJK fonts make Chinese screens readable in screenshots.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi 'noto.*cjk'; then \
		echo "installing chromium and fonts-noto-cjk"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

# Installer tests check the rendered nginx site with Debian's `nginx -t`; policy-rc.d keeps apt from starting it.
ops-deps:
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then \
		echo "installing nginx"; \
		own_policy=0; if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; \
			chmod +x /usr/sbin/policy-rc.d; own_policy=1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; status=$$?; \
		[ $$own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d; exit $$status; \
	fi

# Browser tests run in their own pytest process: sync Playwright keeps an event loop on the main thread.
test: $(VENV)/.installed frontend/dist/index.html browser-deps ops-deps
	cd frontend && npm test
	$(PY) -m pytest -q --ignore=tests/e2e
	$(PY) -m pytest -q tests/e2e

test-python: $(VENV)/.installed ops-deps
	$(PY) -m pytest -q --ignore=tests/e2e

bench: $(VENV)/.installed
	$(PY) -m pip install --quiet -r bench/requirements.txt
	$(PY) -m bench

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist
