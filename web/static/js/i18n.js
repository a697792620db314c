// Texts in Bahasa Indonesia (the default) and English; the choice is kept in localStorage.
import { staff } from "./api.js";

const TEXTS = {
  skip: ["Langsung ke isi", "Skip to content"],
  nav_report: ["Lapor", "Report"],
  nav_track: ["Lacak", "Track"],
  nav_staff: ["Petugas", "Staff"],
  nav_logout: ["Keluar", "Sign out"],
  nav_operator: ["Operator", "Operator"],
  nav_agency: ["OPD", "Agency"],
  nav_leader: ["Pimpinan", "Leader"],
  submit_title: ["Laporkan masalah", "Report a problem"],
  photo: ["Foto (kamera)", "Photo (camera)"],
  photo_hint: ["Ambil foto langsung dengan kamera di lokasi.", "Take the photo with the camera, on the spot."],
  photo_optional: ["Foto (kamera, opsional)", "Photo (camera, optional)"],
  location_optional: ["Lokasi (opsional)", "Location (optional)"],
  no_photo: ["Tanpa foto", "No photo"],
  category: ["Kategori", "Category"],
  choose: ["— pilih —", "— choose —"],
  description: ["Uraian", "Description"],
  location: ["Lokasi", "Location"],
  locate: ["Gunakan lokasi saya", "Use my location"],
  locating: ["Mencari lokasi…", "Finding your location…"],
  located: ["Lokasi ditemukan", "Location found"],
  no_location: ["Lokasi belum ada. Izinkan akses lokasi atau ketuk peta.", "No location yet. Allow location access or tap the map."],
  address: ["Alamat / patokan (opsional)", "Address / landmark (optional)"],
  email: ["Email (opsional, untuk kabar)", "Email (optional, for updates)"],
  privacy: ["Privasi", "Privacy"],
  privacy_public: ["Publik", "Public"],
  privacy_anonymous: ["Anonim", "Anonymous"],
  privacy_confidential: ["Rahasia", "Confidential"],
  send: ["Kirim laporan", "Send report"],
  sending: ["Mengirim…", "Sending…"],
  sent: ["Laporan terkirim. Simpan kode ini:", "Report sent. Keep this code:"],
  track_title: ["Lacak laporan", "Track a report"],
  code: ["Kode laporan", "Report code"],
  show: ["Tampilkan", "Show"],
  my_reports: ["Laporan saya", "My reports"],
  status: ["Status", "Status"],
  history: ["Riwayat", "History"],
  responses: ["Tanggapan", "Responses"],
  comments: ["Komentar", "Comments"],
  send_response: ["Kirim tanggapan", "Send response"],
  response_text: ["Tanggapan untuk pelapor", "Response to the reporter"],
  evidence: ["Foto bukti", "Evidence photos"],
  photos: ["Foto", "Photos"],
  agencies: ["OPD", "Agencies"],
  confirm: ["Selesai, terima kasih", "Done, thank you"],
  reopen: ["Belum selesai, buka lagi", "Not done, reopen"],
  confirm_answer: ["Sudah terjawab, terima kasih", "Answered, thank you"],
  reopen_answer: ["Belum terjawab, buka lagi", "Not answered, reopen"],
  reopen_note: ["Alasan membuka lagi", "Why reopen"],
  rate: ["Beri nilai", "Rate"],
  score: ["Nilai (1–5)", "Score (1–5)"],
  comment: ["Komentar", "Comment"],
  rated: ["Nilai Anda", "Your rating"],
  refresh: ["Muat ulang", "Refresh"],
  login_title: ["Masuk petugas", "Staff sign-in"],
  username: ["Nama pengguna", "Username"],
  password: ["Kata sandi", "Password"],
  login: ["Masuk", "Sign in"],
  q_needs_review: ["Perlu ditinjau", "Needs review"],
  q_to_forward: ["Perlu diteruskan", "To forward"],
  q_overdue: ["Terlambat", "Overdue"],
  q_all: ["Semua", "All"],
  empty: ["Tidak ada laporan.", "No reports."],
  created: ["Dibuat", "Created"],
  due: ["Tenggat", "Due"],
  open: ["Buka", "Open"],
  verification: ["Verifikasi foto", "Photo verification"],
  verdict: ["Putusan", "Verdict"],
  reasons: ["Alasan", "Reasons"],
  actions: ["Tindakan", "Actions"],
  note: ["Catatan internal (tidak terlihat publik)", "Internal note (not public)"],
  public_response: ["Tanggapan publik", "Public response"],
  note_required: ["Catatan wajib diisi.", "A note is required."],
  choose_agency: ["Pilih OPD tujuan", "Choose the agencies"],
  duplicate_of: ["Duplikat dari (kode)", "Duplicate of (code)"],
  a_verify: ["Verifikasi", "Verify"],
  a_reject: ["Tolak", "Reject"],
  a_postpone: ["Tunda", "Postpone"],
  a_forward: ["Teruskan", "Forward"],
  a_reroute: ["Alihkan", "Reroute"],
  a_duplicate: ["Tandai duplikat", "Mark duplicate"],
  a_archive: ["Arsipkan", "Archive"],
  a_accept: ["Terima", "Accept"],
  a_start: ["Mulai kerjakan", "Start work"],
  a_resolve: ["Selesaikan", "Resolve"],
  a_hand_back: ["Kembalikan", "Hand back"],
  v_verified: ["Override: sah", "Override: valid"],
  v_rejected: ["Override: tolak", "Override: reject"],
  evidence_photo: ["Foto bukti penyelesaian", "Evidence photo"],
  done_action: ["Berhasil", "Done"],
  inbox_title: ["Laporan untuk OPD", "Reports for the agency"],
  sla: ["Status SLA", "SLA status"],
  sla_waiting: ["Menunggu respons, masih dalam tenggat", "Awaiting response, within the deadline"],
  sla_working: ["Sedang ditangani", "Being handled"],
  sla_late: ["Lewat tenggat", "Past due"],
  leader_title: ["Dasbor pimpinan", "Leader dashboard"],
  from: ["Dari", "From"],
  to: ["Sampai", "To"],
  period: ["Periode", "Period"],
  p_day: ["Harian", "Daily"],
  p_week: ["Mingguan", "Weekly"],
  p_month: ["Bulanan", "Monthly"],
  total: ["Jumlah laporan", "Reports"],
  by_stage: ["Laporan per tahap", "Reports by stage"],
  by_agency: ["Laporan per OPD", "Reports by agency"],
  over_time: ["Laporan dari waktu ke waktu", "Reports over time"],
  stage_over_time: ["Tahap per minggu (8 minggu terakhir)", "Stage by week (last 8 weeks)"],
  agency_over_time: ["OPD per minggu (8 minggu terakhir)", "Agency by week (last 8 weeks)"],
  response_time: ["Waktu respons median (jam) per OPD", "Median response time (hours) per agency"],
  compliance: ["Kepatuhan SLA (%) per OPD", "SLA compliance (%) per agency"],
  open_map: ["Peta laporan terbuka", "Map of open reports"],
  csv: ["Unduh CSV", "Download CSV"],
  sla_overall: ["Kepatuhan SLA keseluruhan", "Overall SLA compliance"],
  by_city_stage: ["Laporan per tahap kota", "Reports by the city's stages"],
  by_channel: ["Laporan per kanal", "Reports by channel"],
  by_type: ["Laporan per jenis", "Reports by type"],
  ch_app: ["Aplikasi", "App"],
  ch_web: ["Situs web", "Website"],
  ch_open311: ["Open311", "Open311"],
  ch_call_centre: ["Call center 112", "Call centre 112"],
  ch_sp4n_lapor: ["SP4N-LAPOR!", "SP4N-LAPOR!"],
  ch_media: ["Pemantauan media", "Media monitoring"],
  ch_walk_in: ["Datang langsung", "Walk-in"],
  ch_whatsapp: ["WhatsApp", "WhatsApp"],
  ch_sms: ["SMS", "SMS"],
  pick_point_hint: ["Laporan ini belum punya titik: klik peta untuk menandai lokasinya, lalu Verifikasi.",
    "This report has no point yet: click the map to mark where it is, then Verify."],
  picked_point: ["Titik dipilih", "Point chosen"],
  ratings: ["Penilaian pelapor", "Reporters' ratings"],
  rating_average: ["Rata-rata penilaian (1–5)", "Average rating (1–5)"],
  rating_share: ["Dinilai dari laporan selesai", "Rated of resolved reports"],
  rating_by_agency: ["Rata-rata penilaian per OPD", "Average rating per agency"],
  rating_distribution: ["Sebaran penilaian", "Ratings by score"],
  rating_rows: ["Penilaian per OPD, kategori dan bulan", "Ratings per agency, category and month"],
  rated_count: ["Dinilai", "Rated"],
  rateable: ["Dapat dinilai", "Could be rated"],
  month: ["Bulan", "Month"],
  agency: ["OPD", "Agency"],
  agency_times: ["Waktu per OPD (median, jam)", "Times per agency (median, hours)"],
  t_first_response: ["Respons pertama", "First response"],
  t_follow_up: ["Tindak lanjut ke pelapor", "Follow-up to the reporter"],
  t_resolve: ["Sampai selesai", "To resolve"],
  officer_times: ["Waktu per petugas lapangan (median, jam)",
    "Times per field officer (median, hours)"],
  officer: ["Petugas", "Officer"],
  assignments: ["Tugas", "Assignments"],
  t_first_visit: ["Sampai kunjungan pertama", "To first visit"],
  scope_agency: ["Angka OPD", "Figures of agency"],
  no_data: ["Belum ada data.", "No data yet."],
  error: ["Terjadi kesalahan", "Something went wrong"],
  not_found: ["Halaman tidak ada.", "No such page."],
  back: ["Kembali", "Back"],
  reporter: ["Pelapor", "Reporter"],
  none: ["—", "—"],
  r_outside_city: ["Di luar kota", "Outside the city"],
  r_stale_photo: ["Foto lama", "Old photo"],
  r_gps_missing: ["Tanpa GPS", "No GPS"],
  r_exif_missing: ["Tanpa EXIF", "No EXIF"],
  r_camera_missing: ["Tanpa data kamera", "No camera data"],
  r_edited_software: ["Disunting", "Edited"],
  r_far_from_claimed_location: ["Jauh dari lokasi laporan", "Far from the reported location"],
  r_possible_duplicate: ["Mungkin duplikat", "Possible duplicate"],
  r_capture_time_missing: ["Tanpa waktu foto", "No capture time"],
  r_future_capture_time: ["Waktu foto di masa depan", "Capture time in the future"],
  r_far_from_report: ["Jauh dari lokasi laporan", "Far from the report's location"],
  r_gps_invalid: ["GPS tidak sah", "Invalid GPS"],
  r_no_photo: ["Tanpa foto: periksa isinya", "No photo: check what it says"],
  flags: ["Catatan pemeriksaan", "Check notes"],
  r_no_camera_proof: ["Foto dari WhatsApp/LAPOR!: tanpa bukti kamera (lokasi dari laporan)", "Photo from WhatsApp/LAPOR!: no camera proof (location from the report)"],
  r_screenshot: ["Tangkapan layar", "Screenshot"],
  r_unsupported_format: ["Format berkas tidak didukung", "Unsupported file format"],
  r_too_many_pixels: ["Gambar terlalu besar", "Image too large"],
  r_corrupt_image: ["Berkas gambar rusak", "Corrupt image file"],
  // Why an Open311 media_url gave no photo (gateway/open311/media.py REASONS).
  media_fetch_failed: ["Gambar dari media_url (Open311) tidak dapat diambil", "The Open311 media_url picture could not be fetched"],
  mf_address_not_allowed: ["alamat internal, ditolak", "an internal address, refused"],
  mf_host_not_allowed: ["bukan URL http/https yang sah", "not a valid http/https URL"],
  mf_host_unresolvable: ["nama host tidak dikenal", "unknown host name"],
  mf_unreachable: ["server tidak dapat dihubungi", "server unreachable"],
  mf_timeout: ["terlalu lama", "took too long"],
  mf_http_status: ["server menjawab dengan galat", "the server answered with an error"],
  mf_too_many_redirects: ["terlalu banyak pengalihan", "too many redirects"],
  mf_too_large: ["berkas terlalu besar", "file too large"],
  mf_not_an_image: ["bukan foto JPEG, PNG atau HEIC", "not a JPEG, PNG or HEIC photo"],
  // Field officers (#/tasks, dispatch on the report page).
  nav_tasks: ["Tugas saya", "My tasks"],
  officers: ["Petugas lapangan", "Field officers"],
  tasks_title: ["Tugas lapangan saya", "My field tasks"],
  no_tasks: ["Belum ada tugas untuk Anda.", "No tasks for you yet."],
  a_dispatch: ["Tugaskan petugas", "Dispatch officers"],
  a_visit: ["Catat kunjungan", "Record a visit"],
  choose_officers: ["Pilih petugas lapangan", "Choose the field officers"],
  visit_note: ["Catatan perkembangan", "Progress note"],
  visit_photo: ["Foto kunjungan (kamera, opsional)", "Visit photo (camera, optional)"],
  resolve_note: ["Catatan penyelesaian", "Resolution note"],
  resolve_photo: ["Foto bukti penyelesaian (kamera)", "Evidence photos (camera)"],
  evidence_needed: ["Ambil foto bukti dulu.", "Take an evidence photo first."],
  open_in_map: ["Buka di peta", "Open in a map"],
  assigned_at: ["Ditugaskan", "Assigned"],
  first_visit: ["Kunjungan pertama", "First visit"],
  resolved_at: ["Diselesaikan", "Resolved"],
  evidence_flag: ["Foto bukti perlu dicek", "Evidence photos need checking"],
  o_assigned: ["Ditugaskan", "Assigned"],
  o_visited: ["Sudah dikunjungi", "Visited"],
  o_resolved: ["Selesai", "Resolved"],
  o_removed: ["Dilepas", "Removed"],
  possible_duplicates: ["Mungkin laporan yang sama", "Possible duplicates"],
  pd_place: ["lokasi dekat, kategori sama", "nearby, same category"],
  pd_photo: ["foto mirip", "similar photo"],
  pd_mark: ["Tandai duplikat dari laporan ini", "Mark as duplicate of this"],
  // Clocks and escalations (#/escalations, the report page's postpone and escalate).
  nav_escalations: ["Eskalasi", "Escalations"],
  escalations_title: ["Eskalasi ke kepala OPD", "Escalations to agency heads"],
  esc_code: ["Kode", "Code"],
  esc_agency: ["OPD", "Agency"],
  esc_note: ["Catatan", "Note"],
  esc_escalated_by: ["Oleh", "By"],
  esc_escalated_at: ["Waktu", "When"],
  esc_status: ["Status", "Status"],
  esc_by_operator: ["Operator", "Operator"],
  esc_by_agency_admin: ["Admin OPD", "Agency admin"],
  a_escalate: ["Eskalasi ke kepala OPD", "Escalate to the agency head"],
  escalate_agency: ["OPD yang dieskalasi", "Agency to escalate"],
  escalations: ["Eskalasi", "Escalations"],
  postpone_until: ["Tunda sampai tanggal", "Postpone until"],
  until_required: ["Pilih tanggal laporan kembali ke antrean.", "Choose the day the report comes back to the queue."],
  postponed_until: ["Ditunda sampai", "Postponed until"],
  resolution_due: ["Target selesai", "Resolution target"],
  nav_admin: ["Pengguna", "Users"],
  nav_me: ["Akun saya", "My account"],
  me_title: ["Akun saya", "My account"],
  me_hint: ["Email, telepon dan bahasa ini dipakai untuk mengirim pemberitahuan kepada Anda.", "These email, phone and language are used to send you notifications."],
  admin_title: ["Pengguna dan kontak", "Users and contacts"],
  admin_hint: ["Siapa menerima email dan SMS ditentukan dari peran dan kontak di sini: admin OPD menerima laporan yang diteruskan, kepala OPD eskalasi dan batas waktu yang terlewati, pimpinan dan operator sesuai perannya.", "Who receives emails and SMS follows from the roles and contacts here: agency admins get forwarded reports, agency heads escalations and missed deadlines, leaders and operators by their role."],
  admin_users: ["Pengguna kota ini", "This city's users"],
  admin_add: ["Tambah pengguna", "Add a user"],
  admin_added: ["Pengguna ditambahkan", "User added"],
  admin_edit: ["Ubah", "Edit"],
  admin_save: ["Simpan", "Save"],
  admin_saved: ["Tersimpan", "Saved"],
  admin_cancel: ["Batal", "Cancel"],
  admin_username: ["Nama pengguna", "Username"],
  admin_password: ["Kata sandi (min. 10 karakter)", "Password (at least 10 characters)"],
  admin_role: ["Peran", "Role"],
  admin_agency: ["OPD", "Agency"],
  admin_no_agency: ["— tanpa OPD —", "— no agency —"],
  admin_name: ["Nama", "Name"],
  admin_email: ["Email", "Email"],
  admin_phone: ["Telepon (SMS)", "Phone (SMS)"],
  admin_language: ["Bahasa pesan", "Message language"],
  admin_disabled: ["Nonaktif", "Disabled"],
  admin_active: ["Aktif", "Active"],
  role_operator: ["Operator", "Operator"],
  role_agency_admin: ["Admin OPD", "Agency admin"],
  role_officer: ["Petugas lapangan", "Field officer"],
  role_agency_head: ["Kepala OPD", "Head of agency"],
  role_leader: ["Pimpinan", "Leader"],
  role_sysadmin: ["Admin sistem", "System admin"],
  admin_err_invalid_email: ["Alamat email tidak valid.", "This is not an email address."],
  admin_err_invalid_phone: ["Nomor telepon tidak valid (mis. 0812-3456-7890 atau +62…).", "This is not a phone number (e.g. 0812-3456-7890 or +62…)."],
  admin_err_unknown_agency: ["OPD ini tidak ada di kota ini.", "This city has no such agency."],
  admin_err_agency_required: ["Peran ini harus memilih OPD.", "This role needs an agency."],
  admin_err_agency_mismatch: ["Peran OPD harus memilih OPD; peran lain tanpa OPD.", "Agency roles need an agency; other roles must have none."],
  admin_err_username_taken: ["Nama pengguna sudah dipakai.", "This username is already in use."],
  admin_err_validation_failed: ["Ada isian yang kosong atau tidak valid (nama pengguna 3–40 huruf kecil/angka, kata sandi min. 10 karakter).", "Some fields are missing or invalid (username 3–40 lower-case letters or digits, password at least 10 characters)."],
  // The staff intake desk (#/desk).
  nav_desk: ["Loket pengaduan", "Intake desk"],
  desk_title: ["Catat laporan untuk warga", "File a report for a resident"],
  desk_hint: ["Untuk penelepon call center, warga yang datang langsung, pemantauan media dan media sosial, dan SP4N-LAPOR!. Foto tidak wajib: laporan tanpa foto ditinjau operator. Pelapor menerima kode dan tautan pelacakan lewat SMS atau email.", "For call-centre callers, walk-in visitors, media and social-media monitoring, and SP4N-LAPOR!. A photo is optional: a report without one is reviewed by an operator. The resident gets the code and a tracking link by SMS or email."],
  desk_report: ["Laporan", "Report"],
  desk_channel: ["Kanal", "Channel"],
  report_type: ["Jenis laporan", "Type of report"],
  desk_photo: ["Foto (opsional)", "Photo (optional)"],
  desk_photo_hint: ["Foto dari warga, media atau media sosial, bila ada (maks. 5).", "A photo from the resident, the media or social media, if there is one (at most 5)."],
  desk_caller: ["Pelapor", "Resident"],
  desk_name: ["Nama (opsional)", "Name (optional)"],
  desk_phone: ["Telepon untuk SMS (opsional)", "Phone for SMS (optional)"],
  desk_email: ["Email (opsional)", "Email (optional)"],
  desk_language: ["Bahasa pesan", "Message language"],
  desk_contact_hint: ["Kode dan tautan pelacakan dikirim ke telepon atau email ini. Anonim: nama dan kontak tidak terlihat oleh OPD. Rahasia: laporan juga tidak tampil untuk publik.", "The code and tracking link go to this phone or email. Anonymous: agencies do not see the name and contacts. Confidential: the report is not shown to the public either."],
  desk_address: ["Alamat / patokan", "Address / landmark"],
  desk_map_hint: ["Ketik alamat, atau klik titiknya di peta (atau keduanya).", "Type the address, or click the spot on the map (or both)."],
  desk_point: ["Titik di peta", "Spot on the map"],
  desk_no_point: ["Belum ada titik di peta.", "No spot on the map yet."],
  desk_clear_point: ["Hapus titik", "Remove the spot"],
  desk_missing: ["Lengkapi dulu", "Please fill in"],
  desk_invalid: ["Periksa isian", "Please check"],
  optional: ["opsional", "optional"],
  desk_filed: ["Laporan tercatat", "Report filed"],
  // The page cannot know whether the city's SMS or email reached the caller: it says where
  // they go, and what to do when nothing arrives.
  desk_link_sent: ["Kode dan tautan pelacakan akan dikirim ke", "The code and tracking link will be sent to"],
  desk_if_missing: ["Bila tidak sampai dalam beberapa menit, bacakan kode ini kepada pelapor.", "If nothing arrives within a few minutes, read this code out to the resident."],
  desk_no_contact: ["Tanpa telepon atau email: bacakan kode ini kepada pelapor.", "No phone or email: read this code out to the resident."],
  desk_public_page: ["Halaman pelacakan", "Tracking page"],
  desk_open_report: ["Buka laporan", "Open the report"],
  ch_social_media: ["Media sosial", "Social media"],
  type_complaint: ["Pengaduan", "Complaint"],
  type_aspiration: ["Aspirasi", "Aspiration"],
  type_information_request: ["Permintaan informasi", "Information request"],
  my_comments: ["Komentar Anda", "Your comments"],
  comment_text: ["Tulis komentar atau info tambahan untuk petugas", "A comment or more details for the staff"],
  send_comment: ["Kirim komentar", "Send comment"],
  comment_sent: ["Komentar terkirim", "Comment sent"],
  comment_required: ["Tulis komentarnya dulu.", "Write the comment first."],
  // The public map (#/map), "me too" while filing, the agencies' scorecard (#/scorecard).
  nav_map: ["Peta laporan", "Reports map"],
  nav_scorecard: ["Rapor instansi", "Agency scorecard"],
  map_title: ["Peta laporan warga", "Residents' reports map"],
  map_intro: ["Laporan yang sudah diverifikasi, tanpa laporan rahasia. Laporan tanpa titik lokasi hanya ada di daftar.", "Verified reports, confidential ones excluded. Reports without a place are in the list only."],
  all_categories: ["Semua kategori", "All categories"],
  all_statuses: ["Semua status", "All statuses"],
  all_kecamatan: ["Semua kecamatan", "All kecamatan"],
  kecamatan: ["Kecamatan", "Kecamatan"],
  date_from: ["Masuk sejak", "Filed from"],
  date_to: ["Masuk sampai", "Filed until"],
  only_map_area: ["Hanya area peta yang terlihat", "Only the area shown on the map"],
  apply: ["Terapkan", "Apply"],
  reports_list: ["Daftar laporan", "Reports"],
  reports_found: ["Laporan ditemukan", "Reports found"],
  on_map: ["di peta", "on the map"],
  no_place: ["tanpa titik lokasi", "no place on the map"],
  page: ["Halaman", "Page"],
  nearby_title: ["Sudah dilaporkan di dekat sini?", "Already reported near here?"],
  nearby_intro: ["Laporan kategori yang sama di sekitar lokasi ini. Jika masalahnya sama, ikuti laporan itu (\"saya juga\") dan Anda mendapat kabar perkembangannya.", "Reports of the same category around this place. If it is the same problem, follow that report (\"me too\") and get its updates."],
  me_too: ["Saya juga, ikuti laporan ini", "Me too, follow this report"],
  email_short: ["Email", "Email"],
  phone_short: ["Nomor HP", "Mobile number"],
  follow_send: ["Ikuti", "Follow"],
  follow_needs_contact: ["Isi email atau nomor HP untuk menerima kabar.", "Give an email or a mobile number to get the updates."],
  following: ["Anda mengikuti laporan", "You follow report"],
  follow_sent: ["Periksa email atau SMS Anda (bila sudah mengikuti, tidak ada yang berubah): buka tautan konfirmasinya dalam 48 jam untuk mulai menerima kabar laporan", "Check your email or SMS (if you follow it already, nothing changes): open the confirmation link within 48 hours to start getting the updates of report"],
  follow_sent_short: ["Periksa pesan konfirmasi", "Check for the confirmation message"],
  follow_title: ["Ikuti laporan", "Follow a report"],
  follow_ask: ["Terima kabar perkembangan laporan", "Get the updates of report"],
  follow_confirm: ["Ya, kirimi saya kabar", "Yes, send me the updates"],
  followers: ["pengikut", "following"],
  scorecard_title: ["Rapor instansi", "Agency scorecard"],
  scorecard_intro: ["Kinerja tiap instansi menangani laporan warga, dari angka yang sama dengan yang dibaca pimpinan. Laporan rahasia ikut dihitung, tidak ditampilkan.", "How each agency handles residents' reports, from the same figures the leaders read. Confidential reports are counted, never shown."],
  last_days: ["hari terakhir", "last days"],
  loading: ["Memuat…", "Loading…"],
  scorecard_period: ["Laporan masuk", "Reports filed"],
  sc_reports: ["Laporan masuk di kota", "Reports filed in the city"],
  sc_computed: ["dihitung", "computed"],
  sc_agency: ["Instansi", "Agency"],
  sc_received: ["Diterima", "Received"],
  sc_follow_up: ["Median tindak lanjut", "Median follow-up"],
  sc_resolution: ["Median penyelesaian", "Median resolution"],
  sc_within_sla: ["Tepat waktu", "Within the SLA"],
  sc_rating: ["Nilai rata-rata", "Average rating"],
  scorecard_note: ["Tindak lanjut: dari diteruskan ke instansi sampai tanggapan pertama yang dapat dibaca pelapor. Penyelesaian: sampai instansi menyelesaikannya. Tepat waktu: bagian tenggat yang dipenuhi dari yang sudah lewat atau dijawab. Aspirasi ditindaklanjuti, bukan diselesaikan: tidak masuk waktu penyelesaian. Nilai: 1–5 dari pelapor.", "Follow-up: from forwarded to the agency to its first answer the reporter can read. Resolution: until the agency resolved it. Within the SLA: the share of deadlines met of those answered or passed. Aspirations are followed up, not resolved: they are not in the resolution time. Rating: 1–5 by the reporters."],
  hours_short: ["jam", "h"],
  days_short: ["hari", "days"],
  all_types: ["Semua jenis", "All types"],
  unfollow_title: ["Berhenti mengikuti", "Stop following"],
  unfollow_ask: ["Berhenti menerima kabar laporan", "Stop the updates of report"],
  unfollow: ["Ya, berhenti mengikuti", "Yes, stop following"],
  unfollowed: ["Anda tidak lagi mengikuti laporan", "You no longer follow report"],
  // Tracking: the reporter's access on another device, a referral's body (helper C).
  recover_title: ["Anda pelapornya?", "Are you the reporter?"],
  recover_hint: ["Buka laporan Anda di perangkat ini: kami kirim kode sekali pakai ke email atau nomor telepon yang Anda berikan saat melapor.", "Open your report on this device: we send a one-time code to the email or phone number you gave with the report."],
  recover_contact: ["Email atau nomor telepon", "Email or phone number"],
  recover_contact_needed: ["Isi email atau nomor telepon Anda.", "Enter your email or phone number."],
  recover_send: ["Kirim kode", "Send a code"],
  recover_sent: ["Bila kontak sesuai dengan laporan, kode sudah dikirim (berlaku 10 menit).", "If the contact is the one given with the report, a code was sent (valid for 10 minutes)."],
  recover_otp: ["Kode 6 angka", "6-digit code"],
  recover_check: ["Buka laporan saya", "Open my report"],
  recover_done: ["Laporan Anda terbuka di perangkat ini.", "Your report is open on this device."],
  referred_to: ["Dirujuk ke", "Referred to"],
  contact_phone: ["Telepon", "Phone"],
  contact_email: ["Email", "Email"],
  contact_website: ["Situs web", "Website"],
  contact_address: ["Alamat", "Address"],
  no_contact_on_record: ["Kontak instansi ini belum tercatat.", "No contact of this body on record."],
  phone_optional: ["Telepon untuk SMS (opsional)", "Phone for SMS (optional)"],
  // SP4N-LAPOR! (web/static/js/lapor.js): the connector's page and a linked report's sync.
  nav_lapor: ["SP4N-LAPOR!", "SP4N-LAPOR!"],
  lapor_title: ["Sinkronisasi SP4N-LAPOR!", "SP4N-LAPOR! sync"],
  lapor_hint: ["Laporan dari SP4N-LAPOR! masuk ke kategori kota menurut pemetaan topik di bawah; perubahan status dan tanggapan dikirim kembali sebagai tindak lanjut.", "Reports from SP4N-LAPOR! are filed under the city's category the topic mapping below names; status changes and responses go back as follow-ups."],
  lapor_status: ["Keadaan konektor", "Connector state"],
  lapor_city: ["Kota", "City"],
  lapor_connector: ["Konektor", "Connector"],
  lapor_last_import: ["Impor terakhir", "Last import"],
  lapor_imported: ["Diimpor", "Imported"],
  lapor_forwarded: ["Diteruskan ke LAPOR!", "Forwarded to LAPOR!"],
  lapor_pending: ["Tindak lanjut menunggu", "Follow-ups waiting"],
  lapor_failing: ["Gagal terkirim", "Failing"],
  lapor_on: ["aktif", "on"],
  lapor_off: ["tidak aktif", "off"],
  lapor_error: ["galat", "error"],
  lapor_import_failed: ["impor gagal", "import failed"],
  lapor_mapping: ["Pemetaan topik LAPOR! ke kategori", "LAPOR! topics to categories"],
  lapor_fallback: ["Topik tanpa pemetaan masuk ke kategori", "Topics mapped to nothing go to category"],
  lapor_topic_id: ["ID topik", "Topic id"],
  lapor_topic_name: ["Nama topik", "Topic name"],
  lapor_parent: ["ID topik induk", "Parent topic id"],
  lapor_no_category: ["(ikut topik induk)", "(as its parent topic)"],
  lapor_remove: ["Hapus", "Remove"],
  lapor_removed: ["Dihapus", "Removed"],
  lapor_add: ["Tambah atau ubah topik", "Add or change a topic"],
  lapor_add_hint: ["Gunakan ID topik dari akun pengembang SP4N-LAPOR! instansi Anda.", "Use the topic ids of your institution's SP4N-LAPOR! developer account."],
  lapor_tracking_id: ["Tracking ID LAPOR!", "LAPOR! Tracking ID"],
  lapor_not_yet: ["belum ada", "not yet"],
  lapor_dir_imported: ["diimpor dari LAPOR!", "imported from LAPOR!"],
  lapor_dir_forwarded: ["diteruskan ke LAPOR!", "forwarded to LAPOR!"],
  lapor_state_waiting: ["menunggu konektor", "waiting for the connector"],
  lapor_state_pending: ["ada yang belum terkirim", "follow-ups waiting"],
  lapor_state_in_sync: ["sinkron", "in sync"],
  lapor_state_failing: ["gagal terkirim", "failing"],
  lapor_state_blocked: ["ditolak LAPOR!: menunggu operator memutar ulang",
    "refused by LAPOR!: waiting for an operator's replay"],
  lapor_lag: ["tertunda", "waiting for"],
  lapor_last_error: ["Galat terakhir", "Last error"],
  lapor_sent: ["Tindak lanjut terkirim", "Follow-ups sent"],
  lapor_none_sent: ["Belum ada tindak lanjut terkirim.", "No follow-up sent yet."],
  lapor_kind_comment: ["komentar petugas", "staff comment"],
  lapor_kind_response: ["dengan tanggapan", "with a response"],
  lapor_sending: ["sedang dikirim", "being sent"],
  lapor_seconds: ["detik", "s"],
  lapor_minutes: ["menit", "min"],
  lapor_err_unknown_category: ["Kota ini tidak punya kategori tersebut.", "The city has no such category."],
  lapor_err_topic_own_parent: ["Topik tidak bisa menjadi induknya sendiri.", "A topic cannot be its own parent."],
  lapor_err_topic_not_found: ["Topik tidak ditemukan (ID: huruf, angka, - atau _).", "No such topic (ids: letters, digits, - or _)."],
};
// Statuses and stages are named by the server (aduan/domain/status_names.py, served at
// /names.json, with the stage view each city shows): loadNames() fetches them once, before the
// first page is drawn.
const NAMES = { st: {}, s: {}, ty: {} };
let typeStatuses = {};
let stageOrder = [];
let cityViews = {};
let viewNames = {};

export async function loadNames() {
  try {
    const response = await fetch("/names.json");
    if (!response.ok) return;
    const served = await response.json();
    NAMES.st = served.statuses;
    NAMES.ty = served.types || {};
    typeStatuses = served.type_statuses || {};
    NAMES.s = Object.fromEntries(served.stages.kiniko.map((stage) => [stage.code, stage]));
    stageOrder = served.stages.kiniko.map((stage) => stage.code).filter((code) => code !== "none");
    viewNames = served.stages;
    cityViews = served.cities || {};
  } catch {
    // Without them the codes themselves are shown.
  }
}

// The stage view a city shows (aduan/data/cities.json `stages`): its stages in order, without
// "none", each {code, id, en}; Kiniko's when the city is unknown.
export function cityStages(city) {
  const view = cityViews[city];
  const stages = view ? view.stages : (viewNames.kiniko || []);
  return stages.filter((stage) => stage.code !== "none");
}

// A stage of a city's view in words ("none": outside the pipeline).
export function cityStageName(city, code) {
  const view = cityViews[city];
  const found = (view ? view.stages : []).find((stage) => stage.code === code);
  if (found) return found[lang === "en" ? "en" : "id"];
  return term("s", code);
}

let lang = localStorage.getItem("aduan.lang") === "en" ? "en" : "id";

export function t(key) {
  const pair = TEXTS[key];
  return pair ? pair[lang === "en" ? 1 : 0] : key;
}

// A status (st), Kiniko stage (s) or reason (r) code in words, falling back to the code itself.
export function term(prefix, code) {
  if (NAMES[prefix]) {
    const names = NAMES[prefix][code];
    return names ? names[lang === "en" ? "en" : "id"] : code;
  }
  const key = `${prefix}_${code}`;
  return TEXTS[key] ? t(key) : code;
}

// A status as the report's type names it: an answered information request is "Dijawab".
export function statusTerm(status, type) {
  const own = (typeStatuses[type] || {})[status];
  return own ? own[lang === "en" ? "en" : "id"] : term("st", status);
}

export function language() { return lang; }

export function toggleLanguage() {
  lang = lang === "en" ? "id" : "en";
  localStorage.setItem("aduan.lang", lang);
  document.documentElement.lang = lang;
}

// The Kiniko stages in order (without "none", a report outside the pipeline).
export function kinikoStages() { return stageOrder; }

// Today's date (YYYY-MM-DD) in the time zone of `city` (by default the signed-in staff
// member's): the statistics API counts local days, and just after midnight in Padang the
// browser's UTC day is still yesterday.
export function cityToday(city) {
  const view = cityViews[city || ((staff() || {}).user || {}).city];
  const options = view && view.timezone ? { timeZone: view.timezone } : {};
  return new Intl.DateTimeFormat("en-CA", options).format(new Date());
}

// A moment in the time zone of `city` (the report's; by default the signed-in staff member's),
// with its name (WIB, WITA, WIT), whatever the browser's own zone is (/names.json `cities`).
export function when(iso, city) {
  if (!iso) return "—";
  const view = cityViews[city || ((staff() || {}).user || {}).city];
  const options = { dateStyle: "medium", timeStyle: "short" };
  if (view && view.timezone) options.timeZone = view.timezone;
  const shown = new Date(iso).toLocaleString(lang === "en" ? "en-GB" : "id-ID", options);
  return view && view.zone ? `${shown} ${view.zone}` : shown;
}
