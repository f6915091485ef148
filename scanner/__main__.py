from __future__ import annotations

from scanner.entry import main

raise SystemExit(main())
