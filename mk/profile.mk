# `alpaca profile` (src/profile): `make profile-e2e` checks the HTML reports in headless Chromium, bad input and Ctrl-C
# (scripts/ensure-chromium.sh installs it as root, else the check skips with the command);
# `make profile-accuracy-e2e` checks the profile's ranking and costs against ground truth. Both
# are part of `make check`.

.PHONY: profile-e2e profile-accuracy-e2e

profile-e2e: deps build $(BUILD)/examples/known_costs.wasm
	$(NODE) --import tsx src/profile/e2e/profile-e2e.ts

profile-accuracy-e2e: deps build $(BUILD)/examples/known_costs.wasm
	$(NODE) --import tsx src/profile/e2e/profile-accuracy-e2e.ts

CHECK_EXTRA += profile-e2e profile-accuracy-e2e
