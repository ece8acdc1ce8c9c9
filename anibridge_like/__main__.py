from anibridge_like.cli import main

raise SystemExit(main())
