from sam_fastapi.cli import main

raise SystemExit(main())
