"""SLA benchmark: due-time computations per second (vs datetime + timedelta) and the breach scan.

python bench/sla.py             # both parts; the scan part needs PostgreSQL
python bench/sla.py --no-scan   # due times only
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sla_due  # noqa: E402
import sla_scan  # noqa: E402

if __name__ == "__main__":
    skip_scan = "--no-scan" in sys.argv
    sys.argv = [a for a in sys.argv if a != "--no-scan"]
    print("== due-time computations")
    sla_due.main()
    if not skip_scan:
        print("== breach scan over 1,000,000 clock rows (PostgreSQL)")
        sla_scan.main()
